/**
 * Incremental Server-Sent Events parser (the subset Chat Completions streams
 * use): returns the `data` of each event as it completes. Multi-line data is
 * joined with "\n"; comments (`:`), `event:`, `id:` and `retry:` lines are
 * ignored; lines end in \n, \r\n or \r, split anywhere across chunks.
 */
export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #pendingCr = false;

  /** Feed decoded text; returns the data of every event it completed. */
  push(text: string): string[] {
    let input = text;
    if (this.#pendingCr && input.startsWith('\n')) {
      input = input.slice(1);
    }
    this.#pendingCr = input.endsWith('\r');
    this.#buffer += input;
    const events: string[] = [];
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) {
      this.#line(line, events);
    }
    return events;
  }

  /** End of stream: an event without its blank line is still dispatched. */
  end(): string[] {
    const events: string[] = [];
    if (this.#buffer !== '') {
      this.#line(this.#buffer, events);
      this.#buffer = '';
    }
    this.#line('', events);
    return events;
  }

  #line(line: string, events: string[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        events.push(this.#data.join('\n'));
        this.#data = [];
      }
      return;
    }
    if (line.startsWith(':')) {
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') {
      return;
    }
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    this.#data.push(value);
  }
}
