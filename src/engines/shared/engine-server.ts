/**
 * One gRPC server hosting stage services plus grpc.health.v1, for the real
 * engines' standalone servers (`npm run engine -- espeak ...`).
 */
import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { isIPv6 } from 'node:net';
import { HealthImplementation } from 'grpc-health-check';
import { ENGINE_SERVER_OPTIONS } from '../../grpc/server-options.js';

export const SERVICE_NAMES = {
  stt: 'voicerelay.v1.SpeechToText',
  llm: 'voicerelay.v1.LanguageModel',
  tts: 'voicerelay.v1.TextToSpeech',
} as const;

export interface HostedService {
  /** Fully qualified service name for the health service. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface EngineServerOptions {
  host?: string;
  /** 0 (default) = any free port. */
  port?: number;
  /** Grace for in-flight calls on close() before they are cut (default 500 ms). */
  shutdownGraceMs?: number;
}

export interface EngineServer {
  /** `host:port` to dial. */
  readonly address: string;
  readonly port: number;
  readonly health: HealthImplementation;
  /** Stop: in-flight calls get shutdownGraceMs, then they are cut. Idempotent. */
  close(): Promise<void>;
}

/** Start a gRPC server for `services`, with grpc.health.v1 reporting each as SERVING. */
export async function startEngineServer(
  services: readonly HostedService[],
  options: EngineServerOptions = {},
  onClose: () => void = () => {},
): Promise<EngineServer> {
  const host = options.host ?? '127.0.0.1';
  const server = new Server(ENGINE_SERVER_OPTIONS);
  const health = new HealthImplementation({ '': 'SERVING' });
  for (const s of services) {
    server.addService(s.definition, s.implementation);
    health.setStatus(s.name, 'SERVING');
  }
  health.addToServer(server);
  const target = isIPv6(host) ? `[${host}]:${options.port ?? 0}` : `${host}:${options.port ?? 0}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, ServerCredentials.createInsecure(), (err, bound) => {
      if (err !== null) {
        reject(err);
      } else {
        resolve(bound);
      }
    });
  });
  const graceMs = options.shutdownGraceMs ?? 500;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const name of ['', ...services.map((s) => s.name)]) {
        health.setStatus(name, 'NOT_SERVING');
      }
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
      onClose();
    })();
    return closing;
  };
  return {
    address: isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
    port,
    health,
    close,
  };
}
