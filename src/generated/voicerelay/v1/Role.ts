// Original file: proto/voicerelay/v1/llm.proto

export const Role = {
  ROLE_UNSPECIFIED: 'ROLE_UNSPECIFIED',
  SYSTEM: 'SYSTEM',
  USER: 'USER',
  ASSISTANT: 'ASSISTANT',
  /**
   * The result of one tool call (tool_call_id names the call).
   */
  TOOL: 'TOOL',
} as const;

export type Role =
  | 'ROLE_UNSPECIFIED'
  | 0
  | 'SYSTEM'
  | 1
  | 'USER'
  | 2
  | 'ASSISTANT'
  | 3
  /**
   * The result of one tool call (tool_call_id names the call).
   */
  | 'TOOL'
  | 4

export type Role__Output = typeof Role[keyof typeof Role]
