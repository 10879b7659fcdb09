/** One message of a conversation, as the LLM stage receives it. */
export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** A tool call the model made; `arguments` is a JSON object as text. */
export interface ToolCallRecord {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatTurn {
  role: ChatRole;
  content: string;
  /** assistant: the tool calls of this message. */
  toolCalls?: ToolCallRecord[];
  /** tool: the call this message answers. */
  toolCallId?: string;
}
