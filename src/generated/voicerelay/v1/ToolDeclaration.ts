// Original file: proto/voicerelay/v1/llm.proto


/**
 * A tool the model may call; parameters is a JSON Schema (an object schema) as text.
 */
export interface ToolDeclaration {
  'name'?: (string);
  'description'?: (string);
  'parametersJson'?: (string);
}

/**
 * A tool the model may call; parameters is a JSON Schema (an object schema) as text.
 */
export interface ToolDeclaration__Output {
  'name': (string);
  'description': (string);
  'parametersJson': (string);
}
