import { Redis } from 'ioredis';

export interface AuditStreamOptions {
  /** The Redis stream key. */
  key: string;
  /** Entries kept (approximately: `XADD … MAXLEN ~`). */
  maxLen: number;
}

/**
 * Mirrors audit records to a Redis stream: each record line becomes one entry
 * `XADD <key> MAXLEN ~ <maxLen> * record <line>`, in the order the log wrote them (one
 * connection, commands in order). The file stays the record of truth: a failed add is
 * counted in `failures`, never retried, and never blocks a turn or crashes the relay.
 */
export class AuditRedisStream {
  readonly #redis: Redis;
  readonly #o: AuditStreamOptions;
  #failures = 0;

  constructor(url: string, options: AuditStreamOptions) {
    this.#o = options;
    this.#redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
    this.#redis.on('error', () => undefined); // reconnects; failures are counted per add
  }

  get failures(): number {
    return this.#failures;
  }

  /** Queue one record line (without its newline). */
  add(line: string): void {
    this.#redis
      .xadd(this.#o.key, 'MAXLEN', '~', String(this.#o.maxLen), '*', 'record', line)
      .catch(() => {
        this.#failures++;
      });
  }

  /** Wait for the adds sent so far, then disconnect. */
  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
