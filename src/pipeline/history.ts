import type { ChatRole, ChatTurn } from '../frames/chat.js';

export type { ChatRole, ChatTurn } from '../frames/chat.js';

/** Conversation history of one session, bounded, with the system message kept. */

export class ConversationHistory {
  readonly #system: string;
  readonly #maxMessages: number;
  #messages: ChatTurn[] = [];

  constructor(systemPrompt: string, maxMessages: number) {
    this.#system = systemPrompt;
    this.#maxMessages = maxMessages;
  }

  add(role: Exclude<ChatRole, 'system'>, content: string): void {
    if (content === '') {
      return;
    }
    this.#messages.push({ role, content });
    if (this.#messages.length > this.#maxMessages) {
      this.#messages.splice(0, this.#messages.length - this.#maxMessages);
    }
  }

  /** Messages for the next LLM request: the system prompt first, then the kept turns. */
  forRequest(): ChatTurn[] {
    const out: ChatTurn[] = this.#system === '' ? [] : [{ role: 'system', content: this.#system }];
    for (const m of this.#messages) {
      out.push({ role: m.role, content: m.content });
    }
    return out;
  }

  get length(): number {
    return this.#messages.length;
  }
}
