import type { ToolCallRecord } from '../../frames/chat.js';

/**
 * Tool-call fragments of one generation joined per index: the first fragment of an
 * index names the call, later ones append argument text (parsed only at the end).
 */
export class ToolCallAccumulator {
  readonly #calls: ToolCallRecord[] = [];

  get size(): number {
    return this.#calls.length;
  }

  push(index: number, id: string, name: string, args: string): void {
    let call = this.#calls[index];
    if (call === undefined) {
      call = { id: '', name: '', arguments: '' };
      this.#calls[index] = call;
    }
    if (id !== '') {
      call.id = id;
    }
    if (name !== '') {
      call.name = name;
    }
    call.arguments += args;
  }

  /** The complete calls, in index order (ids made up for calls the model left unnamed). */
  take(prefix: string): ToolCallRecord[] {
    const out: ToolCallRecord[] = [];
    this.#calls.forEach((c, i) => {
      out.push({
        id: c.id === '' ? `${prefix}.call${i}` : c.id,
        name: c.name,
        arguments: c.arguments,
      });
    });
    this.#calls.length = 0;
    return out;
  }
}
