import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  type WriteStream,
} from 'node:fs';

/** The `prev` of the first record of a chain. */
export const GENESIS = '0'.repeat(64);
const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;

export interface AuditLogOptions {
  /** The JSONL file; rotated files are `<path>.1` (newest) … `<path>.<keep>`. */
  path: string;
  /** Rotate when the file would grow past this many bytes. */
  maxBytes: number;
  /** Rotated files kept. */
  keep: number;
  /** Also hands every record line (without its newline) here, e.g. to a Redis stream. */
  mirror?: ((line: string) => void) | undefined;
}

/** sha256 hex of a record line without its hash field. */
export function hashBody(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Split a record line into the body that was hashed and the hash it carries. */
export function splitRecord(line: string): { body: string; hash: string } | undefined {
  const m = HASH_SUFFIX.exec(line);
  if (m === null || m[1] === undefined) {
    return undefined;
  }
  return { body: `${line.slice(0, m.index)}}`, hash: m[1] };
}

/**
 * A tamper-evident JSONL audit log for one process: every record carries `seq`, `prev`
 * (the previous record's hash, across rotations) and `hash` = sha256 of the record as
 * written without its hash field. Records are written in order through one stream;
 * the file is rotated by size. See `verifyAudit`.
 */
export class AuditLog {
  readonly #o: AuditLogOptions;
  #stream: WriteStream;
  /** Rotated-out streams still flushing (to their renamed files). */
  readonly #flushing = new Set<Promise<void>>();
  #bytes: number;
  #prev = GENESIS;
  #seq = 0;
  #closed = false;

  constructor(options: AuditLogOptions) {
    this.#o = options;
    this.#bytes = 0;
    if (existsSync(options.path)) {
      // Continue the chain of the file a previous run left (read once, at start).
      const text = readFileSync(options.path, 'utf8');
      this.#bytes = Buffer.byteLength(text);
      const last = text.trimEnd().split('\n').pop() ?? '';
      const rec = splitRecord(last);
      if (rec !== undefined) {
        this.#prev = rec.hash;
        const seq = (JSON.parse(rec.body) as { seq?: unknown }).seq;
        this.#seq = typeof seq === 'number' ? seq : 0;
      }
    }
    this.#stream = this.#open();
  }

  /** Append one record (any JSON object without `seq`, `prev`, `hash`). */
  append(record: Record<string, unknown>): void {
    if (this.#closed) {
      return;
    }
    const body = JSON.stringify({ seq: ++this.#seq, prev: this.#prev, ...record });
    const hash = hashBody(body);
    const line = `${body.slice(0, -1)},"hash":"${hash}"}\n`;
    const size = Buffer.byteLength(line);
    if (this.#bytes > 0 && this.#bytes + size > this.#o.maxBytes) {
      this.#end(this.#stream);
      this.#rotate();
      this.#stream = this.#open();
    }
    this.#stream.write(line);
    this.#o.mirror?.(line.slice(0, -1));
    this.#bytes += size;
    this.#prev = hash;
  }

  /** Flush and close the file. */
  close(): Promise<void> {
    if (this.#closed) {
      return Promise.resolve();
    }
    this.#closed = true;
    this.#end(this.#stream);
    return Promise.all(this.#flushing).then(() => undefined);
  }

  #end(stream: WriteStream): void {
    const p = new Promise<void>((resolve) => stream.end(resolve));
    this.#flushing.add(p);
    void p.then(() => this.#flushing.delete(p));
  }

  /** Opened synchronously, so a rotation right after renames the file its writes go to. */
  #open(): WriteStream {
    const s = createWriteStream(this.#o.path, { fd: openSync(this.#o.path, 'a') });
    s.on('error', () => undefined); // a failing disk must not crash the relay
    return s;
  }

  /** `<path>` → `<path>.1` → … → `<path>.<keep>` (the oldest is dropped). */
  #rotate(): void {
    const { path, keep } = this.#o;
    for (let i = keep - 1; i >= 1; i--) {
      if (existsSync(`${path}.${i}`)) {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      }
    }
    if (keep >= 1 && existsSync(path)) {
      renameSync(path, `${path}.1`);
    }
    this.#bytes = 0;
  }
}
