// Original file: proto/voicerelay/v1/llm.proto


/**
 * A fragment of one tool call, keyed by index (parallel calls get 0, 1, ...). The first
 * fragment of an index carries id and name; arguments fragments are concatenated.
 */
export interface ToolCallDelta {
  'index'?: (number);
  'id'?: (string);
  'name'?: (string);
  'arguments'?: (string);
}

/**
 * A fragment of one tool call, keyed by index (parallel calls get 0, 1, ...). The first
 * fragment of an index carries id and name; arguments fragments are concatenated.
 */
export interface ToolCallDelta__Output {
  'index': (number);
  'id': (string);
  'name': (string);
  'arguments': (string);
}
