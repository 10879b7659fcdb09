/** One message of a conversation, as the LLM stage receives it. */
export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatTurn {
  role: ChatRole;
  content: string;
}
