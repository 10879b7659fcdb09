/**
 * A protocol-faithful ElevenLabs input-streaming fake
 * (`/v1/text-to-speech/{voice}/stream-input`) on loopback: `xi-api-key` at the
 * handshake (401 with ElevenLabs' `detail` body otherwise), an init message of
 * exactly one space first, text buffered until `flush`, the chunk schedule
 * (120 chars) or the end (`{"text":""}`), base64 PCM chunks carrying the
 * character `alignment` in ms relative to each chunk, `{"isFinal":true}` and a
 * close after the end, and the idle timeout's error message + close 1008.
 * Timing is exact: every character (spaces included) lasts `msPerChar`.
 * Faults per connection: refusals, an error message + close 1008 after N text
 * messages, a slow first chunk, a dropped connection after N chunks.
 */
import {
  serverClose,
  serverDrop,
  startFakeServer,
  tonePcm,
  type FakeConnection,
  type FakeServer,
  type Refusal,
} from '../../speech-bridge/test-support/fake-server.js';

export type ElevenLabsFault =
  | { kind: 'refuse'; status: number; detail: string; message: string }
  | { kind: 'error'; afterTexts: number; error: string; message: string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'drop'; afterChunks: number };

export interface ElevenLabsFakeOptions {
  key?: string;
  msPerChar?: number;
  chunkMs?: number;
  /** Pause between audio chunks (default 0: as fast as the socket takes them). */
  chunkIntervalMs?: number;
  /** Spelling of the durations field (production and SDKs disagree). */
  durationsKey?: 'charsDurationsMs' | 'charDurationsMs';
}

export interface ElevenLabsFake extends FakeServer {
  readonly faults: (ElevenLabsFault | 'ok')[];
}

const FORMATS = /^(pcm_(8000|16000|22050|24000|44100|48000)|ulaw_8000|alaw_8000)$/;

export async function startElevenLabsFake(o: ElevenLabsFakeOptions = {}): Promise<ElevenLabsFake> {
  const faults: (ElevenLabsFault | 'ok')[] = [];
  let next: ElevenLabsFault | 'ok' = 'ok';
  const server = await startFakeServer({
    refuse(req, url): Refusal | undefined {
      if (!/^\/v1\/text-to-speech\/[A-Za-z0-9_-]+\/stream-input$/.test(url.pathname)) {
        return detail(404, 'not_found', 'Not found');
      }
      if (o.key !== undefined && req.headers['xi-api-key'] !== o.key) {
        return detail(401, 'invalid_api_key', 'Invalid API key');
      }
      const format = url.searchParams.get('output_format') ?? 'mp3_44100_128';
      if (!FORMATS.test(format)) {
        return detail(422, 'invalid_output_format', `The fake streams raw formats only: ${format}`);
      }
      next = faults.shift() ?? 'ok';
      if (next !== 'ok' && next.kind === 'refuse') {
        return detail(next.status, next.detail, next.message);
      }
      return undefined;
    },
    accepted(conn) {
      new ElevenLabsFakeStream(conn, next, o);
    },
  });
  return Object.assign(server, { faults });
}

function detail(status: number, code: string, message: string): Refusal {
  return { status, body: JSON.stringify({ detail: { status: code, message } }) };
}

class ElevenLabsFakeStream {
  readonly #conn: FakeConnection;
  readonly #fault: ElevenLabsFault | 'ok';
  readonly #msPerChar: number;
  readonly #chunkMs: number;
  readonly #intervalMs: number;
  readonly #durationsKey: string;
  readonly #rate: number;
  readonly #bytesPerSample: number;
  #buffer = '';
  #texts = 0;
  #chunks = 0;
  #samples = 0;
  #started = false;
  #closed = false;
  #work: Promise<void> = Promise.resolve();
  #idle: NodeJS.Timeout | undefined;
  readonly #idleMs: number;

  constructor(conn: FakeConnection, fault: ElevenLabsFault | 'ok', o: ElevenLabsFakeOptions) {
    this.#conn = conn;
    this.#fault = fault;
    this.#msPerChar = o.msPerChar ?? 60;
    this.#chunkMs = o.chunkMs ?? 200;
    this.#intervalMs = o.chunkIntervalMs ?? 0;
    this.#durationsKey = o.durationsKey ?? 'charsDurationsMs';
    const format = conn.url.searchParams.get('output_format') ?? 'pcm_16000';
    this.#rate = format.startsWith('pcm_') ? Number(format.slice(4)) : 8000;
    this.#bytesPerSample = format.startsWith('pcm_') ? 2 : 1;
    this.#idleMs = Number(conn.url.searchParams.get('inactivity_timeout') ?? 20) * 1000;
    this.#resetIdle();
    conn.ws.on('message', (_d: unknown, isBinary: boolean) => {
      if (!isBinary) {
        this.#resetIdle();
        this.#onMessage(conn.messages[conn.messages.length - 1] ?? {});
      }
    });
    conn.ws.on('close', () => {
      this.#closed = true;
      clearTimeout(this.#idle);
    });
  }

  #resetIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#error(
        'input_timeout_exceeded',
        `Have not received a new text input within the timeout of ${this.#idleMs / 1000} seconds. Streaming input will be closed.`,
      );
    }, this.#idleMs);
  }

  #onMessage(msg: Record<string, unknown>): void {
    const text = msg['text'];
    if (typeof text !== 'string') {
      this.#error('invalid_request', 'Every message must carry a text field');
      return;
    }
    if (!this.#started) {
      if (text !== ' ') {
        this.#error('invalid_request', 'The first message must have text of a single space');
        return;
      }
      this.#started = true;
      return;
    }
    if (text === '') {
      this.#generate(this.#buffer);
      this.#buffer = '';
      this.#work = this.#work.then(() => {
        if (!this.#closed) {
          this.#conn.ws.send(JSON.stringify({ isFinal: true }));
          serverClose(this.#conn, 1000, '');
          this.#closed = true;
        }
      });
      return;
    }
    this.#texts++;
    const f = this.#fault;
    if (f !== 'ok' && f.kind === 'error' && this.#texts >= f.afterTexts) {
      this.#error(f.error, f.message);
      return;
    }
    this.#buffer += text;
    if (msg['flush'] === true) {
      this.#generate(this.#buffer);
      this.#buffer = '';
    } else if (this.#buffer.length >= 120 && this.#buffer.lastIndexOf(' ') > 0) {
      const cut = this.#buffer.lastIndexOf(' ') + 1;
      this.#generate(this.#buffer.slice(0, cut));
      this.#buffer = this.#buffer.slice(cut);
    }
  }

  /** Queue audio for `text` (whitespace alone makes none). */
  #generate(text: string): void {
    if (text.trim() === '') {
      return;
    }
    this.#work = this.#work.then(() => this.#speak(text));
  }

  async #speak(text: string): Promise<void> {
    const chars = [...text];
    const totalMs = chars.length * this.#msPerChar;
    for (let t = 0; t < totalMs && !this.#closed; t += this.#chunkMs) {
      const end = Math.min(totalMs, t + this.#chunkMs);
      const inChunk = chars
        .map((c, i) => ({ c, start: i * this.#msPerChar }))
        .filter((x) => x.start >= t && x.start < end);
      const alignment = {
        chars: inChunk.map((x) => x.c),
        charStartTimesMs: inChunk.map((x) => x.start - t),
        [this.#durationsKey]: inChunk.map(() => this.#msPerChar),
      };
      const pcm = this.#audio(end - t);
      const f = this.#fault;
      const wait =
        f !== 'ok' && f.kind === 'slow' && this.#chunks === 0 ? f.delayMs : this.#intervalMs;
      await new Promise<void>((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
      if (this.#closed) {
        return;
      }
      if (f !== 'ok' && f.kind === 'drop' && this.#chunks >= f.afterChunks) {
        this.#closed = true;
        serverDrop(this.#conn);
        return;
      }
      this.#chunks++;
      this.#conn.ws.send(
        JSON.stringify({
          audio: pcm.toString('base64'),
          isFinal: null,
          normalizedAlignment: alignment,
          alignment,
        }),
      );
    }
  }

  #audio(ms: number): Buffer {
    const pcm = tonePcm(ms, this.#rate, this.#samples);
    this.#samples += pcm.length / 2;
    return this.#bytesPerSample === 2 ? pcm : Buffer.alloc(pcm.length / 2, 0xff);
  }

  #error(error: string, message: string): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearTimeout(this.#idle);
    this.#conn.ws.send(JSON.stringify({ message, error, code: 1008 }));
    serverClose(this.#conn, 1008, message.slice(0, 120));
  }
}
