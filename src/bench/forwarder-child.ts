/**
 * The bare forwarder of the uplink benchmark, in its own process: ws in, one gRPC
 * Recognize stream per connection out, with the relay's stage channel options and the
 * relay's drop rule (a frame is dropped when `maxPendingFrames` wait in the call's write
 * buffer). No reorder, VAD, turns or replies: what forwarding costs without the relay.
 *
 *   node --import tsx forwarder-child.ts '{"sttAddress":…,"maxPendingFrames":500,…}'
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { credentials, Metadata } from '@grpc/grpc-js';
import { WebSocketServer, type WebSocket } from 'ws';
import { STAGE_CHANNEL_OPTIONS } from '../grpc/channel.js';
import { stageProtos } from '../grpc/protos.js';
import { decodeFrame } from '../transports/ws/wire.js';
import { serveParent } from './child-ipc.js';

export interface ForwarderChildConfig {
  sttAddress: string;
  maxPendingFrames: number;
  sampleRateHz: number;
  silenceMs: number;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ForwarderChildConfig;
  const frameBytes = (cfg.sampleRateHz / 1000) * 20 * 2;
  const stt = new (stageProtos().SpeechToText)(
    cfg.sttAddress,
    credentials.createInsecure(),
    STAGE_CHANNEL_OPTIONS,
  );
  const counters = { framesIn: 0, framesToStt: 0, framesDropped: 0, sessions: 0 };
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws: WebSocket) => {
    const requestId = randomUUID();
    const call = stt.Recognize(new Metadata());
    call.on('error', () => undefined);
    call.on('data', () => undefined);
    call.write({
      requestId,
      config: {
        encoding: 'LINEAR16',
        sampleRateHz: cfg.sampleRateHz,
        language: 'en-US',
        interimResults: true,
        endpointing: { silenceMs: cfg.silenceMs },
      },
    });
    counters.sessions++;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const f = isBinary ? decodeFrame(data) : undefined;
      if (f === undefined || 'error' in f || f.payload.length !== frameBytes) {
        return;
      }
      counters.framesIn++;
      if (call.writableLength >= cfg.maxPendingFrames) {
        counters.framesDropped++;
        return;
      }
      call.write({ audio: { seq: f.seq, captureTsMs: f.timestampMs, audio: f.payload } });
      counters.framesToStt++;
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      counters.sessions--;
      call.cancel();
    });
    ws.send(JSON.stringify({ type: 'session.ready', sessionId: requestId, frameMs: 20 }));
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const addr = wss.address() as AddressInfo;
  serveParent(
    { address: `${addr.address}:${addr.port}` },
    {},
    () => ({ ...counters }),
    async () => {
      for (const ws of wss.clients) {
        ws.terminate();
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      stt.close();
    },
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
