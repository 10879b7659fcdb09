// Original file: proto/voicerelay/v1/llm.proto

export const FinishReason = {
  FINISH_REASON_UNSPECIFIED: 'FINISH_REASON_UNSPECIFIED',
  STOP: 'STOP',
  LENGTH: 'LENGTH',
  CONTENT_FILTER: 'CONTENT_FILTER',
  /**
   * The reply ends with tool calls: run them and generate again with their results.
   */
  TOOL_CALLS: 'TOOL_CALLS',
} as const;

export type FinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 0
  | 'STOP'
  | 1
  | 'LENGTH'
  | 2
  | 'CONTENT_FILTER'
  | 3
  /**
   * The reply ends with tool calls: run them and generate again with their results.
   */
  | 'TOOL_CALLS'
  | 4

export type FinishReason__Output = typeof FinishReason[keyof typeof FinishReason]
