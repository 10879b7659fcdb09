import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listen on `host:port` (0 = a free port); rejects on EADDRINUSE and the like. */
export async function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
