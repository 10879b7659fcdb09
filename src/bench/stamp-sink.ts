import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import type { RecognizeRequest__Output } from '../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../generated/voicerelay/v1/RecognizeResponse.js';
import { nowMs } from '../core/clock.js';
import { stageProtos } from '../grpc/protos.js';
import { readStamp } from './stamp.js';
import { Samples } from './stats.js';

/** One frame of a traced round: where it came from and when it was sent and received. */
export interface TracedFrame {
  stream: number;
  seq: number;
  sendNs: bigint;
  recvNs: bigint;
}

/**
 * Counts the stamped frames an STT stage receives, per round: frames stamped with another
 * round are foreign. Per stream it notes frames that came out of order (a seq not above
 * the last one) and, with `trace`, every frame's send and receive time.
 */
export class StampCounter {
  /** Latencies (µs) of measured frames of the current round. */
  readonly latUs = new Samples(1 << 16);
  #round = -1;
  /** Per client stream: the highest seq received, and on which gRPC call. */
  #last = new Map<number, { seq: number; call: object | undefined }>();
  #trace: TracedFrame[] | undefined;
  received = 0;
  concealed = 0;
  foreign = 0;
  outOfOrder = 0;
  /** Frames received again on a new call (a re-opened stream's replay): not counted twice. */
  resent = 0;

  /** Start counting for round `round`; `trace` keeps every frame (bounded by the caller's round). */
  beginRound(round: number, trace = false): void {
    this.#round = round;
    this.latUs.clear();
    this.#last.clear();
    this.#trace = trace ? [] : undefined;
    this.received = 0;
    this.concealed = 0;
    this.foreign = 0;
    this.outOfOrder = 0;
    this.resent = 0;
  }

  /** The frames of a traced round (empty when the round was not traced). */
  trace(): readonly TracedFrame[] {
    return this.#trace ?? [];
  }

  /** One audio chunk; `call` tells the gRPC calls apart (replays come on a new one). */
  audio(chunk: { audio: Buffer; concealed: boolean; seq: number }, call?: object): void {
    const now = process.hrtime.bigint();
    if (chunk.concealed) {
      this.concealed++;
      return;
    }
    const st = readStamp(chunk.audio);
    if (st === undefined) {
      return;
    }
    if (st.round !== this.#round) {
      this.foreign++;
      return;
    }
    const last = this.#last.get(st.stream);
    if (last !== undefined && chunk.seq <= last.seq) {
      if (last.call !== call) {
        this.resent++;
        return;
      }
      this.outOfOrder++;
    } else if (last === undefined) {
      this.#last.set(st.stream, { seq: chunk.seq, call });
    } else {
      last.seq = chunk.seq;
      last.call = call;
    }
    this.received++;
    this.#trace?.push({ stream: st.stream, seq: chunk.seq, sendNs: st.ns, recvNs: now });
    if (st.measured) {
      this.latUs.push(Number(now - st.ns) / 1000);
    }
  }
}

/**
 * The benchmark's STT stage: a real gRPC SpeechToText server (run in its own process by
 * sink-child.ts). For every audio chunk it reads the hrtime stamp the client wrote into
 * the payload and records client-send → STT-receive latency; process.hrtime is
 * CLOCK_MONOTONIC, one clock for all processes of the machine.
 * It answers `ready`, and `FlushDone` to a Flush; it never sends transcripts, so
 * frames flow without turns.
 */
export class StampSink {
  readonly address: string;
  readonly #server: Server;
  readonly counter = new StampCounter();
  streams = 0;

  private constructor(server: Server, address: string) {
    this.#server = server;
    this.address = address;
  }

  static async start(): Promise<StampSink> {
    const server = new Server({ 'grpc.max_receive_message_length': 8 * 1024 * 1024 });
    const holder: { sink?: StampSink } = {};
    server.addService(stageProtos().SpeechToText.service, {
      Recognize: (call: ServerDuplexStream<RecognizeRequest__Output, RecognizeResponse>) =>
        holder.sink?.handle(call),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err === null ? resolve(p) : reject(err),
      ),
    );
    const sink = new StampSink(server, `127.0.0.1:${port}`);
    holder.sink = sink;
    return sink;
  }

  /** Start counting for round `round` (frames stamped with another round are foreign). */
  beginRound(round: number): void {
    this.counter.beginRound(round);
  }

  get latUs(): Samples {
    return this.counter.latUs;
  }

  get received(): number {
    return this.counter.received;
  }

  get concealed(): number {
    return this.counter.concealed;
  }

  get foreign(): number {
    return this.counter.foreign;
  }

  handle(call: ServerDuplexStream<RecognizeRequest__Output, RecognizeResponse>): void {
    this.streams++;
    let requestId = '';
    let ended = false;
    const end = (): void => {
      if (!ended) {
        ended = true;
        this.streams--;
      }
    };
    call.on('data', (req: RecognizeRequest__Output) => {
      if (req.kind === 'audio' && req.audio != null) {
        this.counter.audio(req.audio, call);
      } else if (req.kind === 'config') {
        requestId = req.requestId;
        call.write({
          requestId,
          serverTsMs: nowMs(),
          ready: { partialResults: false, speechEvents: false, engine: 'bench-stamp-sink' },
        });
      } else if (req.kind === 'flush') {
        const turnId = req.flush?.turnId ?? '';
        call.write({ requestId, turnId, serverTsMs: nowMs(), flushDone: { turnId } });
      } else if (req.kind === 'cancel') {
        end();
        call.end();
      }
    });
    call.on('end', () => {
      end();
      call.end();
    });
    call.on('cancelled', end);
    call.on('error', end);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, 500);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
