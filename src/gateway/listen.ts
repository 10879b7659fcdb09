import type { AddressInfo } from 'node:net';
import { buildGateway } from './app.js';
import type { GatewayDeps } from './types.js';

export interface GatewayListenOptions {
  /** Default 127.0.0.1 (management API: expose deliberately). */
  host?: string;
  /** 0 picks a free port. */
  port: number;
}

export interface RunningGateway {
  /** e.g. `http://127.0.0.1:8081`. */
  address: string;
  port: number;
  close(): Promise<void>;
}

/** Build the gateway and listen; `close()` stops accepting and waits for in-flight requests. */
export async function startGateway(
  deps: GatewayDeps,
  options: GatewayListenOptions,
): Promise<RunningGateway> {
  const app = await buildGateway(deps);
  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: options.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const info = app.server.address() as AddressInfo;
  const hostPart = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  deps.logger.info({ module: 'gateway', host: info.address, port: info.port }, 'gateway listening');
  return {
    address: `http://${hostPart}:${info.port}`,
    port: info.port,
    close: () => app.close(),
  };
}
