/**
 * A protocol-faithful Deepgram live-streaming fake (`/v1/listen`) on loopback:
 * it checks the handshake the way Deepgram does (`Authorization: Token`,
 * `encoding` + `sample_rate` for raw audio, `utterance_end_ms` only with
 * `interim_results`), finds speech in the linear16 audio with an energy VAD
 * and "recognises" scripted transcripts: `SpeechStarted`, interim `Results`,
 * an `is_final`+`speech_final` result after `endpointing` ms of silence, then
 * `UtteranceEnd`; `Finalize` answers with `from_finalize:true`; `CloseStream`
 * sends the rest, `Metadata` and closes 1000; 10 s without audio or text
 * closes 1011 NET-0001. Faults per connection: refusals (HTTP 429/401 with
 * `dg-error`), error close frames, slow first result, mid-stream disconnect.
 */
import { EnergyVad } from '../../../media/vad/energy-vad.js';
import {
  serverClose,
  serverDrop,
  startFakeServer,
  type FakeConnection,
  type FakeServer,
  type Refusal,
} from '../../speech-bridge/test-support/fake-server.js';

export type DeepgramFault =
  | { kind: 'refuse'; status: number; message: string }
  /** Close with `code`/`reason` once this much audio arrived. */
  | { kind: 'close'; afterAudioMs: number; code: number; reason: string }
  /** Drop the TCP connection (no close frame) once this much audio arrived. */
  | { kind: 'drop'; afterAudioMs: number }
  /** Hold every server message this long (a slow first result). */
  | { kind: 'slow'; delayMs: number };

export interface DeepgramFakeOptions {
  /** Accepted key (`Authorization: Token <key>`); undefined accepts any. */
  key?: string;
  /** Transcript per utterance, in order (then empty). */
  transcripts?: string[];
  /** Interim results every this much speech (default 200 ms). */
  interimEveryMs?: number;
  /** Close 1011 NET-0001 after this long without audio or text (default 10000). */
  idleTimeoutMs?: number;
}

export interface DeepgramFake extends FakeServer {
  /** Faults for the next connections, one per connection, in order ('ok' = none). */
  readonly faults: (DeepgramFault | 'ok')[];
  /** Script the transcripts of the next connections. */
  setTranscripts(t: string[]): void;
}

const RATE_DEFAULT = 16000;
const REQUEST_ID = '5d2f7c1e-8a4b-4c1e-9d7a-3f2b1c0e9a8d';

export async function startDeepgramFake(o: DeepgramFakeOptions = {}): Promise<DeepgramFake> {
  const faults: (DeepgramFault | 'ok')[] = [];
  const state = { transcripts: o.transcripts ?? [] };
  let pendingFault: DeepgramFault | 'ok' = 'ok';
  const server = await startFakeServer({
    refuse(req, url): Refusal | undefined {
      if (url.pathname !== '/v1/listen') {
        return dgRefusal(404, 'Not found');
      }
      const auth = req.headers.authorization ?? '';
      if (o.key !== undefined && auth !== `Token ${o.key}`) {
        return dgRefusal(401, 'Invalid credentials.');
      }
      const q = url.searchParams;
      if (q.has('encoding') !== q.has('sample_rate')) {
        return dgRefusal(400, 'encoding and sample_rate must be given together for raw audio');
      }
      if (q.has('utterance_end_ms') && q.get('interim_results') !== 'true') {
        return dgRefusal(400, 'utterance_end_ms requires interim_results=true');
      }
      const fault = faults.shift() ?? 'ok';
      if (fault !== 'ok' && fault.kind === 'refuse') {
        return dgRefusal(fault.status, fault.message);
      }
      pendingFault = fault;
      return undefined;
    },
    accepted(conn) {
      new DeepgramFakeStream(conn, pendingFault, state.transcripts, o);
    },
  });
  return Object.assign(server, {
    faults,
    setTranscripts(t: string[]) {
      state.transcripts = t;
    },
  });
}

function dgRefusal(status: number, message: string): Refusal {
  const errCode =
    status === 429 ? 'TOO_MANY_REQUESTS' : status === 401 ? 'INVALID_AUTH' : 'Bad Request';
  return {
    status,
    body: JSON.stringify({ err_code: errCode, err_msg: message, request_id: REQUEST_ID }),
    headers: { 'dg-error': message, 'dg-request-id': REQUEST_ID },
  };
}

class DeepgramFakeStream {
  readonly #conn: FakeConnection;
  readonly #fault: DeepgramFault | 'ok';
  readonly #transcripts: string[];
  readonly #rate: number;
  readonly #interimEveryMs: number;
  readonly #endpointingMs: number;
  readonly #utteranceEndMs: number | undefined;
  readonly #interim: boolean;
  readonly #vadEvents: boolean;
  readonly #vad: EnergyVad;
  #carry = Buffer.alloc(0);
  #samples = 0;
  #utterance = 0;
  /** Current utterance: start (s) and words already finalised. */
  #speechStartSec: number | undefined;
  #lastVoicedEndSec = 0;
  #sinceInterimMs = 0;
  #finalisedUpTo = 0;
  #awaitingUtteranceEnd = false;
  #idle: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    conn: FakeConnection,
    fault: DeepgramFault | 'ok',
    transcripts: string[],
    o: DeepgramFakeOptions,
  ) {
    this.#conn = conn;
    this.#fault = fault;
    this.#transcripts = transcripts;
    const q = conn.url.searchParams;
    this.#rate = Number(q.get('sample_rate') ?? RATE_DEFAULT);
    this.#interim = q.get('interim_results') === 'true';
    this.#vadEvents = q.get('vad_events') === 'true';
    const ep = q.get('endpointing');
    this.#endpointingMs = ep === null ? 10 : ep === 'false' ? 1e9 : Number(ep);
    const ue = q.get('utterance_end_ms');
    this.#utteranceEndMs = ue === null ? undefined : Number(ue);
    this.#interimEveryMs = o.interimEveryMs ?? 200;
    this.#vad = new EnergyVad({ minSpeechMs: 40, minSilenceMs: Math.max(20, this.#endpointingMs) });
    const idleMs = o.idleTimeoutMs ?? 10_000;
    const resetIdle = (): void => {
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => {
        this.#close(
          1011,
          'Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001',
        );
      }, idleMs);
    };
    resetIdle();
    conn.ws.on('message', (data: Buffer, isBinary: boolean) => {
      resetIdle();
      if (isBinary) {
        this.#onAudio(data);
      } else {
        this.#onControl(conn.messages[conn.messages.length - 1] ?? {});
      }
    });
    conn.ws.on('close', () => {
      this.#closed = true;
      clearTimeout(this.#idle);
    });
  }

  get #audioMs(): number {
    return (this.#samples / this.#rate) * 1000;
  }

  #onAudio(data: Buffer): void {
    if (data.length === 0) {
      this.#close(1008, 'DATA-0000: empty binary frame');
      return;
    }
    const frameBytes = (this.#rate / 50) * 2;
    let buf = Buffer.concat([this.#carry, data]);
    while (buf.length >= frameBytes && !this.#closed) {
      this.#onFrame(buf.subarray(0, frameBytes));
      buf = buf.subarray(frameBytes);
    }
    this.#carry = Buffer.from(buf);
    const f = this.#fault;
    if (
      f !== 'ok' &&
      (f.kind === 'close' || f.kind === 'drop') &&
      this.#audioMs >= f.afterAudioMs
    ) {
      if (f.kind === 'close') {
        this.#close(f.code, f.reason);
      } else {
        serverDrop(this.#conn);
      }
    }
  }

  #onFrame(frame: Buffer): void {
    const startSec = this.#samples / this.#rate;
    this.#samples += frame.length / 2;
    const endSec = this.#samples / this.#rate;
    const ev = this.#vad.push(frame, startSec * 1000, 20);
    if (ev?.type === 'speech.started') {
      this.#speechStartSec = ev.tsMs / 1000;
      this.#finalisedUpTo = 0;
      this.#sinceInterimMs = 0;
      this.#awaitingUtteranceEnd = false;
      if (this.#vadEvents) {
        this.#emit({ type: 'SpeechStarted', channel: [0, 1], timestamp: round(ev.tsMs / 1000) });
      }
    }
    if (this.#vad.speaking) {
      this.#lastVoicedEndSec = this.#vad.lastVoicedEndMs / 1000;
      this.#sinceInterimMs += 20;
      if (this.#interim && this.#sinceInterimMs >= this.#interimEveryMs) {
        this.#sinceInterimMs = 0;
        this.#result(false, false, false);
      }
    }
    if (ev?.type === 'speech.stopped' && this.#speechStartSec !== undefined) {
      this.#lastVoicedEndSec = ev.tsMs / 1000;
      this.#result(true, true, false);
      this.#awaitingUtteranceEnd = this.#utteranceEndMs !== undefined;
    }
    if (
      this.#awaitingUtteranceEnd &&
      this.#utteranceEndMs !== undefined &&
      endSec - this.#lastVoicedEndSec >= this.#utteranceEndMs / 1000
    ) {
      this.#awaitingUtteranceEnd = false;
      this.#emit({
        type: 'UtteranceEnd',
        channel: [0, 1],
        last_word_end: round(this.#lastVoicedEndSec),
      });
    }
  }

  #onControl(msg: Record<string, unknown>): void {
    switch (msg['type']) {
      case 'KeepAlive':
        return;
      case 'Finalize':
        this.#result(true, false, true);
        return;
      case 'CloseStream':
        if (this.#speechStartSec !== undefined) {
          this.#result(true, false, false);
        }
        this.#emit({
          type: 'Metadata',
          transaction_key: 'deprecated',
          request_id: REQUEST_ID,
          sha256: '0'.repeat(64),
          created: new Date().toISOString(),
          duration: round(this.#audioMs / 1000),
          channels: 1,
        });
        this.#after(() => this.#close(1000, ''));
        return;
      default:
        this.#close(1008, `DATA-0000: unknown message type ${JSON.stringify(msg['type'])}`);
    }
  }

  /** One Results message for the current utterance (interim, final, or answering Finalize). */
  #result(isFinal: boolean, speechFinal: boolean, fromFinalize: boolean): void {
    const start = this.#speechStartSec;
    const words = (this.#transcripts[this.#utterance] ?? '').split(' ').filter((w) => w !== '');
    let shown: string[] = [];
    let wordTimes: { start: number; end: number }[] = [];
    if (start !== undefined) {
      const end = Math.max(start + 0.02, this.#lastVoicedEndSec);
      const per = (end - start) / Math.max(1, words.length);
      wordTimes = words.map((_, i) => ({ start: start + i * per, end: start + (i + 1) * per }));
      // Interim results show the words heard so far; finals all of them.
      const heard = isFinal
        ? words.length
        : Math.min(words.length, Math.floor((this.#lastVoicedEndSec - start) / per));
      shown = words.slice(this.#finalisedUpTo, heard);
      wordTimes = wordTimes.slice(this.#finalisedUpTo, heard);
    }
    const segStart = wordTimes[0]?.start ?? this.#audioMs / 1000;
    const segEnd = wordTimes[wordTimes.length - 1]?.end ?? segStart;
    this.#emit({
      type: 'Results',
      channel_index: [0, 1],
      duration: round(segEnd - segStart),
      start: round(segStart),
      is_final: isFinal,
      speech_final: speechFinal,
      ...(fromFinalize ? { from_finalize: true } : {}),
      channel: {
        alternatives: [
          {
            transcript: shown.join(' '),
            confidence: shown.length === 0 ? 0 : 0.98,
            words: shown.map((w, i) => ({
              word: w.toLowerCase(),
              start: round(wordTimes[i]?.start ?? segStart),
              end: round(wordTimes[i]?.end ?? segEnd),
              confidence: 0.98,
              punctuated_word: w,
            })),
          },
        ],
      },
      metadata: {
        request_id: REQUEST_ID,
        model_info: { name: 'general-nova-3', version: '2025-01-01.0', arch: 'nova-3' },
        model_uuid: '40bd3654-e622-47c4-a111-63a61b23bfe5',
      },
    });
    if (isFinal && start !== undefined) {
      this.#finalisedUpTo += shown.length;
      if (speechFinal || this.#finalisedUpTo >= words.length) {
        this.#utterance++;
        this.#speechStartSec = undefined;
        this.#finalisedUpTo = 0;
      }
    }
  }

  #emit(msg: Record<string, unknown>): void {
    this.#after(() => {
      if (!this.#closed) {
        this.#conn.ws.send(JSON.stringify(msg));
      }
    });
  }

  /** Run now, or after the slow fault's delay (in order either way). */
  #after(fn: () => void): void {
    const f = this.#fault;
    if (f !== 'ok' && f.kind === 'slow') {
      setTimeout(fn, f.delayMs);
    } else {
      fn();
    }
  }

  #close(code: number, reason: string): void {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#idle);
      serverClose(this.#conn, code, reason);
    }
  }
}

function round(sec: number): number {
  return Math.round(sec * 1000) / 1000;
}
