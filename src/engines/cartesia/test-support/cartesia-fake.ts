/**
 * A protocol-faithful Cartesia TTS WebSocket fake (`/tts/websocket`) on
 * loopback: `Cartesia-Version` and the key (`Authorization: Bearer` or
 * `X-API-Key`) checked at the handshake, every input validated (context_id,
 * model_id, voice, output_format, transcript), transcripts of a context
 * concatenated verbatim and spoken at once (max_buffer_delay_ms 0), `chunk`
 * messages with base64 raw audio, `timestamps` with `word_timestamps` in
 * seconds from the context start (sent before the audio they cover),
 * `flush_done`, `done` after `continue:false`, and `cancel` stopping a
 * context. Every character lasts `msPerChar`. Faults per connection:
 * refusals (429), an `error` message after N inputs, a slow first chunk, a
 * dropped connection after N chunks.
 */
import {
  serverDrop,
  startFakeServer,
  tonePcm,
  type FakeConnection,
  type FakeServer,
  type Refusal,
} from '../../speech-bridge/test-support/fake-server.js';

export type CartesiaFault =
  | { kind: 'refuse'; status: number; message: string }
  | { kind: 'error'; afterInputs: number; status: number; title: string; message: string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'drop'; afterChunks: number };

export interface CartesiaFakeOptions {
  key?: string;
  msPerChar?: number;
  chunkMs?: number;
  chunkIntervalMs?: number;
}

export interface CartesiaFake extends FakeServer {
  readonly faults: (CartesiaFault | 'ok')[];
}

export async function startCartesiaFake(o: CartesiaFakeOptions = {}): Promise<CartesiaFake> {
  const faults: (CartesiaFault | 'ok')[] = [];
  let next: CartesiaFault | 'ok' = 'ok';
  const server = await startFakeServer({
    refuse(req, url): Refusal | undefined {
      if (url.pathname !== '/tts/websocket') {
        return refusal(404, 'Not found');
      }
      if (
        req.headers['cartesia-version'] === undefined &&
        !url.searchParams.has('cartesia_version')
      ) {
        return refusal(400, 'Cartesia-Version header is required');
      }
      const auth = req.headers.authorization ?? '';
      const key = auth.startsWith('Bearer ') ? auth.slice(7) : req.headers['x-api-key'];
      if (o.key !== undefined && key !== o.key) {
        return refusal(401, 'Invalid API key');
      }
      next = faults.shift() ?? 'ok';
      if (next !== 'ok' && next.kind === 'refuse') {
        return refusal(next.status, next.message);
      }
      return undefined;
    },
    accepted(conn) {
      new CartesiaFakeSocket(conn, next, o);
    },
  });
  return Object.assign(server, { faults });
}

function refusal(status: number, message: string): Refusal {
  return { status, body: JSON.stringify({ error: message }) };
}

interface Context {
  text: string;
  spokenChars: number;
  samples: number;
  cancelled: boolean;
  ended: boolean;
  flushes: number;
}

class CartesiaFakeSocket {
  readonly #conn: FakeConnection;
  readonly #fault: CartesiaFault | 'ok';
  readonly #msPerChar: number;
  readonly #chunkMs: number;
  readonly #intervalMs: number;
  readonly #contexts = new Map<string, Context>();
  #inputs = 0;
  #chunks = 0;
  #closed = false;
  #work: Promise<void> = Promise.resolve();

  constructor(conn: FakeConnection, fault: CartesiaFault | 'ok', o: CartesiaFakeOptions) {
    this.#conn = conn;
    this.#fault = fault;
    this.#msPerChar = o.msPerChar ?? 60;
    this.#chunkMs = o.chunkMs ?? 200;
    this.#intervalMs = o.chunkIntervalMs ?? 0;
    conn.ws.on('message', (_d: unknown, isBinary: boolean) => {
      if (!isBinary) {
        this.#onMessage(conn.messages[conn.messages.length - 1] ?? {});
      }
    });
    conn.ws.on('close', () => {
      this.#closed = true;
    });
  }

  #onMessage(m: Record<string, unknown>): void {
    const id = m['context_id'];
    if (typeof id !== 'string' || id === '') {
      this.#send({
        type: 'error',
        status_code: 400,
        title: 'Invalid request',
        message: 'context_id is required',
        done: true,
      });
      return;
    }
    if (m['cancel'] === true) {
      const ctx = this.#contexts.get(id);
      if (ctx !== undefined) {
        ctx.cancelled = true;
      }
      return;
    }
    const missing = ['model_id', 'voice', 'output_format', 'transcript'].filter((k) => !(k in m));
    if (missing.length > 0) {
      this.#error(id, 400, 'Invalid request', `missing fields: ${missing.join(', ')}`);
      return;
    }
    this.#inputs++;
    const f = this.#fault;
    if (f !== 'ok' && f.kind === 'error' && this.#inputs >= f.afterInputs) {
      this.#error(id, f.status, f.title, f.message);
      return;
    }
    let ctx = this.#contexts.get(id);
    if (ctx === undefined) {
      ctx = { text: '', spokenChars: 0, samples: 0, cancelled: false, ended: false, flushes: 0 };
      this.#contexts.set(id, ctx);
    }
    if (ctx.ended) {
      this.#error(id, 400, 'Context closed', 'the context already ended');
      return;
    }
    ctx.text += String(m['transcript']);
    const format = m['output_format'] as { sample_rate?: number; encoding?: string };
    const rate = format.sample_rate ?? 16000;
    const bytes = format.encoding === 'pcm_s16le' ? 2 : 1;
    const c = ctx;
    this.#work = this.#work.then(() => this.#speak(id, c, rate, bytes));
    if (m['flush'] === true) {
      const flushId = ++c.flushes;
      this.#work = this.#work.then(() =>
        this.#send({
          type: 'flush_done',
          context_id: id,
          status_code: 206,
          done: false,
          flush_done: true,
          flush_id: flushId,
        }),
      );
    }
    if (m['continue'] === false) {
      c.ended = true;
      this.#work = this.#work.then(() => {
        if (!c.cancelled) {
          this.#send({ type: 'done', context_id: id, status_code: 206, done: true });
        }
      });
    }
  }

  async #speak(id: string, ctx: Context, rate: number, bytes: number): Promise<void> {
    const from = ctx.spokenChars;
    const to = ctx.text.length;
    ctx.spokenChars = to;
    const startMs = from * this.#msPerChar;
    const endMs = to * this.#msPerChar;
    const words = [...ctx.text.slice(from, to).matchAll(/\S+/g)].map((w) => ({
      word: w[0],
      start: ((from + w.index) * this.#msPerChar) / 1000,
      end: ((from + w.index + w[0].length) * this.#msPerChar) / 1000,
    }));
    for (let t = startMs; t < endMs; t += this.#chunkMs) {
      const end = Math.min(endMs, t + this.#chunkMs);
      const f = this.#fault;
      const wait =
        f !== 'ok' && f.kind === 'slow' && this.#chunks === 0 ? f.delayMs : this.#intervalMs;
      await new Promise<void>((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
      if (this.#closed || ctx.cancelled) {
        return;
      }
      if (f !== 'ok' && f.kind === 'drop' && this.#chunks >= f.afterChunks) {
        this.#closed = true;
        serverDrop(this.#conn);
        return;
      }
      const inChunk = words.filter((w) => w.end * 1000 > t && w.end * 1000 <= end);
      if (inChunk.length > 0) {
        this.#send({
          type: 'timestamps',
          context_id: id,
          status_code: 206,
          done: false,
          word_timestamps: {
            words: inChunk.map((w) => w.word),
            start: inChunk.map((w) => w.start),
            end: inChunk.map((w) => w.end),
          },
        });
      }
      const pcm = tonePcm(end - t, rate, ctx.samples);
      ctx.samples += pcm.length / 2;
      const data = bytes === 2 ? pcm : Buffer.alloc(pcm.length / 2, 0xff);
      this.#chunks++;
      this.#send({
        type: 'chunk',
        context_id: id,
        status_code: 206,
        done: false,
        data: data.toString('base64'),
        step_time: end - t,
      });
    }
  }

  #error(id: string, status: number, title: string, message: string): void {
    this.#send({
      type: 'error',
      context_id: id,
      status_code: status,
      done: true,
      title,
      message,
      error_code: status === 429 ? 'concurrency_limited' : 'invalid_request',
      request_id: 'req_fake',
    });
  }

  #send(m: Record<string, unknown>): void {
    if (!this.#closed) {
      this.#conn.ws.send(JSON.stringify(m));
    }
  }
}
