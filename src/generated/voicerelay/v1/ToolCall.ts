// Original file: proto/voicerelay/v1/llm.proto


/**
 * A tool call the model made: arguments are a JSON object as text.
 */
export interface ToolCall {
  'id'?: (string);
  'name'?: (string);
  'argumentsJson'?: (string);
}

/**
 * A tool call the model made: arguments are a JSON object as text.
 */
export interface ToolCall__Output {
  'id': (string);
  'name': (string);
  'argumentsJson': (string);
}
