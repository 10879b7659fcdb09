/**
 * One gRPC server hosting the simulated stage engines (all three by default)
 * and grpc.health.v1, for tests, benchmarks, load tests and the relay's
 * embedded default.
 */
import { EventEmitter } from 'node:events';
import { Server, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { stageProtos } from '../../grpc/protos.js';
import { ENGINE_SERVER_OPTIONS } from '../../grpc/server-options.js';
import { EngineContext } from './engine-context.js';
import { generateHandler, RequestLog } from './llm-engine.js';
import { SimListener } from './listener.js';
import {
  resolveProfiles,
  type ProfileOverride,
  type SimEngineKind,
  type SimProfiles,
} from './profiles.js';
import {
  SimStats,
  waitForEvent,
  type SimEventName,
  type SimEvents,
  type SimMonitor,
} from './sim-monitor.js';
import { recognizeHandler } from './stt-engine.js';
import { synthesizeHandler } from './tts-engine.js';

export const SIM_SERVICE_NAMES: Readonly<Record<SimEngineKind, string>> = {
  stt: 'voicerelay.v1.SpeechToText',
  llm: 'voicerelay.v1.LanguageModel',
  tts: 'voicerelay.v1.TextToSpeech',
};

export interface SimServerOptions {
  /** Which engines to host (default all three). */
  engines?: readonly SimEngineKind[];
  stt?: ProfileOverride<SimProfiles['stt']>;
  llm?: ProfileOverride<SimProfiles['llm']>;
  tts?: ProfileOverride<SimProfiles['tts']>;
  host?: string;
  /** 0 (default) = any free port. */
  port?: number;
  /** Grace for in-flight calls on close() before connections are cut (default 500 ms). */
  shutdownGraceMs?: number;
}

/** One engine of a running sim server. */
export interface SimEngineHandle<K extends SimEngineKind> {
  readonly kind: K;
  /** Whether the server hosts this engine. */
  readonly hosted: boolean;
  readonly stats: SimMonitor['stats'];
  readonly events: SimMonitor['events'];
  /** The profile new calls start from. */
  readonly profile: SimProfiles[K];
  /** Replace the server-level profile overrides of this engine (validated; throws ProfileError). */
  setProfile(override?: ProfileOverride<SimProfiles[K]>): void;
  /** The next event matching `predicate` (rejects after timeoutMs, default 10 s). */
  waitFor<E extends SimEventName>(
    event: E,
    predicate?: (...args: SimEvents[E]) => boolean,
    timeoutMs?: number,
  ): Promise<SimEvents[E][0]>;
}

export interface SimServer {
  /** `host:port` to dial. */
  readonly address: string;
  readonly port: number;
  readonly stt: SimEngineHandle<'stt'>;
  readonly llm: SimEngineHandle<'llm'> & {
    /** Every Generate request received (the last 1000). */
    readonly requests: RequestLog;
  };
  readonly tts: SimEngineHandle<'tts'>;
  /** Counters over all engines. */
  readonly stats: SimStats;
  /** Events of all engines (each carries `engine`). */
  readonly events: EventEmitter<SimEvents>;
  /** The health service (status '' and each hosted service are SERVING). */
  readonly health: HealthImplementation;
  /** Destroy the connection behind a call's peer at once (no GOAWAY); false if unknown. */
  abortPeer(peer: string): boolean;
  /** Stop: in-flight calls get shutdownGraceMs, then connections are cut. Idempotent. */
  close(): Promise<void>;
}

function handleOf<K extends SimEngineKind>(
  ctx: EngineContext<K>,
  hosted: boolean,
): SimEngineHandle<K> {
  return {
    kind: ctx.kind,
    hosted,
    stats: ctx.monitor.stats,
    events: ctx.monitor.events,
    get profile() {
      return ctx.profile;
    },
    setProfile: (override) => ctx.setProfile(override),
    waitFor: (event, predicate, timeoutMs) => ctx.monitor.waitFor(event, predicate, timeoutMs),
  };
}

/** Start a sim server hosting the requested engines. */
export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  const engines = new Set<SimEngineKind>(options.engines ?? ['stt', 'llm', 'tts']);
  const overrides: Parameters<typeof resolveProfiles>[0] = {};
  if (options.stt !== undefined) {
    overrides.stt = options.stt;
  }
  if (options.llm !== undefined) {
    overrides.llm = options.llm;
  }
  if (options.tts !== undefined) {
    overrides.tts = options.tts;
  }
  const profiles = resolveProfiles(overrides);
  const sink = { stats: new SimStats(), events: new EventEmitter<SimEvents>() };
  sink.events.setMaxListeners(0);
  let abortImpl = (_peer: string): boolean => false;
  const abortPeer = (peer: string): boolean => abortImpl(peer);
  const stt = new EngineContext('stt', profiles.stt, abortPeer, sink);
  const llm = new EngineContext('llm', profiles.llm, abortPeer, sink);
  const tts = new EngineContext('tts', profiles.tts, abortPeer, sink);
  const requests = new RequestLog();

  const server = new Server(ENGINE_SERVER_OPTIONS);
  const protos = stageProtos();
  const health = new HealthImplementation({ '': 'SERVING' });
  if (engines.has('stt')) {
    server.addService(protos.SpeechToText.service, {
      Recognize: recognizeHandler(stt),
    } satisfies UntypedServiceImplementation);
    health.setStatus(SIM_SERVICE_NAMES.stt, 'SERVING');
  }
  if (engines.has('llm')) {
    server.addService(protos.LanguageModel.service, {
      Generate: generateHandler(llm, requests),
    } satisfies UntypedServiceImplementation);
    health.setStatus(SIM_SERVICE_NAMES.llm, 'SERVING');
  }
  if (engines.has('tts')) {
    server.addService(protos.TextToSpeech.service, {
      Synthesize: synthesizeHandler(tts),
    } satisfies UntypedServiceImplementation);
    health.setStatus(SIM_SERVICE_NAMES.tts, 'SERVING');
  }
  health.addToServer(server);

  const bound = await SimListener.listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
  abortImpl = (peer) => bound.abortPeer(peer);
  const graceMs = options.shutdownGraceMs ?? 500;
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const name of ['', ...[...engines].map((e) => SIM_SERVICE_NAMES[e])]) {
        health.setStatus(name, 'NOT_SERVING');
      }
      const stopped = bound.stopAccepting();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      bound.destroyAll();
      await stopped;
    })();
    return closing;
  };

  return {
    address: bound.address,
    port: bound.port,
    stt: handleOf(stt, engines.has('stt')),
    llm: Object.assign(handleOf(llm, engines.has('llm')), { requests }),
    tts: handleOf(tts, engines.has('tts')),
    stats: sink.stats,
    events: sink.events,
    health,
    abortPeer,
    close,
  };
}

/** The next server-wide event matching `predicate`. */
export function waitForSimEvent<E extends SimEventName>(
  server: SimServer,
  event: E,
  predicate: (...args: SimEvents[E]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<SimEvents[E][0]> {
  return waitForEvent(server.events, event, predicate, timeoutMs);
}
