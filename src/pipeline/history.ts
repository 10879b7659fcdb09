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
    this.#trim();
  }

  /** A turn's tool exchange: assistant tool calls and their results, in order. */
  addAll(items: readonly ChatTurn[]): void {
    for (const m of items) {
      this.#messages.push({ ...m });
    }
    this.#trim();
  }

  #trim(): void {
    if (this.#messages.length > this.#maxMessages) {
      this.#messages.splice(0, this.#messages.length - this.#maxMessages);
    }
    // A result without its call would be refused by the model: drop it with the call.
    while (this.#messages[0]?.role === 'tool') {
      this.#messages.shift();
    }
  }

  /** Messages for the next LLM request: the system prompt first, then the kept turns. */
  forRequest(): ChatTurn[] {
    const out: ChatTurn[] = this.#system === '' ? [] : [{ role: 'system', content: this.#system }];
    for (const m of this.#messages) {
      out.push({ ...m });
    }
    return out;
  }

  get length(): number {
    return this.#messages.length;
  }
}
