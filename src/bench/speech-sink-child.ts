/**
 * The sim engine of the uplink benchmark, in its own process: the simulated STT, LLM and
 * TTS on one gRPC server (as the relay's sim pipeline has them), with every audio chunk
 * the STT receives also counted by its stamp (round, stream, send time). Both arms of the
 * uplink benchmark (relay and bare forwarder) talk to it, so "frames delivered to STT" is
 * counted at the same place for both.
 *
 *   node --import tsx speech-sink-child.ts '{"profile":{"stt":{…},"llm":{…},"tts":{…}}}'
 */
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import type { RecognizeRequest__Output } from '../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../generated/voicerelay/v1/RecognizeResponse.js';
import { EngineContext } from '../engines/sim/engine-context.js';
import { generateHandler, RequestLog } from '../engines/sim/llm-engine.js';
import { resolveProfiles, type SimProfileOverrides } from '../engines/sim/profiles.js';
import { recognizeHandler } from '../engines/sim/stt-engine.js';
import { synthesizeHandler } from '../engines/sim/tts-engine.js';
import { stageProtos } from '../grpc/protos.js';
import { ENGINE_SERVER_OPTIONS } from '../grpc/server-options.js';
import { serveParent, spawnBenchChild } from './child-ipc.js';
import { StampCounter } from './stamp-sink.js';
import { summarize, type Summary } from './stats.js';

export interface SpeechSinkCounts {
  received: number;
  outOfOrder: number;
  foreign: number;
  /** Recognize streams open now. */
  streams: number;
}

/** One traced frame over IPC: stream, seq, send and receive time (hrtime, µs). */
export type TraceRow = [stream: number, seq: number, sendUs: number, recvUs: number];

export interface SpeechSinkHandle {
  readonly address: string;
  readonly pid: number;
  begin(round: number, trace?: boolean): Promise<void>;
  counts(): Promise<SpeechSinkCounts>;
  /** Client send → STT receive (µs) of the measured frames of the round. */
  latency(): Promise<Summary>;
  trace(): Promise<TraceRow[]>;
  stop(): Promise<void>;
}

/**
 * `windowBytes`: HTTP/2 receive window (connection and per stream) the engine grants its
 * clients, instead of Node's default 64 KiB (a diagnosis knob: grpc-js servers have no
 * option for it).
 */
export async function spawnSpeechSink(
  profile: SimProfileOverrides,
  windowBytes?: number,
): Promise<SpeechSinkHandle> {
  const child = await spawnBenchChild<{ address: string }>(fileURLToPath(import.meta.url), {
    profile,
    windowBytes,
  });
  return {
    address: child.info.address,
    pid: child.pid,
    begin: async (round, trace = false) => {
      await child.request('begin', { round, trace });
    },
    counts: () => child.request<SpeechSinkCounts>('counts'),
    latency: async () => {
      // NaN (an empty window) crosses IPC as null.
      const r = await child.request<Record<string, number | null>>('latency');
      return Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? v : NaN]),
      ) as unknown as Summary;
    },
    trace: () => child.request<TraceRow[]>('trace'),
    stop: () => child.stop(),
  };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as {
    profile?: SimProfileOverrides;
    windowBytes?: number;
  };
  const profiles = resolveProfiles(cfg.profile ?? {});
  const noAbort = (): boolean => false;
  const stt = new EngineContext('stt', profiles.stt, noAbort);
  const llm = new EngineContext('llm', profiles.llm, noAbort);
  const tts = new EngineContext('tts', profiles.tts, noAbort);
  const counter = new StampCounter();
  let streams = 0;
  const recognize = recognizeHandler(stt);
  const server = new Server(ENGINE_SERVER_OPTIONS);
  const p = stageProtos();
  server.addService(p.SpeechToText.service, {
    Recognize: (call: ServerDuplexStream<RecognizeRequest__Output, RecognizeResponse>) => {
      streams++;
      let open = true;
      const end = (): void => {
        if (open) {
          open = false;
          streams--;
        }
      };
      call.on('data', (req: RecognizeRequest__Output) => {
        if (req.kind === 'audio' && req.audio != null) {
          counter.audio(req.audio, call);
        }
      });
      call.on('end', end);
      call.on('cancelled', end);
      call.on('error', end);
      recognize(call);
    },
  });
  server.addService(p.LanguageModel.service, { Generate: generateHandler(llm, new RequestLog()) });
  server.addService(p.TextToSpeech.service, { Synthesize: synthesizeHandler(tts) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, n) =>
      err === null ? resolve(n) : reject(err),
    ),
  );
  const window = cfg.windowBytes;
  if (window !== undefined) {
    // grpc-js keeps its Node HTTP/2 servers in a private map; sessions get the window.
    const servers = (server as unknown as { http2Servers: Map<Http2Server, unknown> }).http2Servers;
    for (const h of servers.keys()) {
      h.updateSettings({ initialWindowSize: Math.min(window, 2 ** 31 - 1) });
      h.on('session', (session: ServerHttp2Session) => session.setLocalWindowSize(window));
    }
  }
  serveParent(
    { address: `127.0.0.1:${port}` },
    {
      begin: (arg) => {
        const a = arg as { round: number; trace: boolean };
        counter.beginRound(a.round, a.trace);
        return true;
      },
      counts: (): SpeechSinkCounts => ({
        received: counter.received,
        outOfOrder: counter.outOfOrder,
        foreign: counter.foreign,
        streams,
      }),
      latency: () => summarize(counter.latUs),
      trace: (): TraceRow[] =>
        counter
          .trace()
          .map((f) => [f.stream, f.seq, Number(f.sendNs) / 1000, Number(f.recvNs) / 1000]),
    },
    () => ({ streams }),
    () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 500).unref();
      }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
