import { Socket, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createMetrics } from '../../observability/metrics.js';
import { DEFAULT_WS_BACKPRESSURE, WsTransport } from './ws-transport.js';
import { decodeFrame } from './wire.js';

type Received = { kind: 'event'; event: Record<string, unknown> } | { kind: 'audio'; seq: number };

/** A real server socket wrapped in a WsTransport, and a real client recording what it gets. */
async function connect(): Promise<{
  transport: WsTransport;
  /** The server side's TCP socket. */
  socket: Socket;
  received: Received[];
  waitFor: (n: number) => Promise<void>;
  close: () => Promise<void>;
}> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', r));
  const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const received: Received[] = [];
  let waiter: (() => void) | undefined;
  let want = 0;
  client.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      const f = decodeFrame(data);
      received.push({ kind: 'audio', seq: 'error' in f ? -1 : f.seq });
    } else {
      received.push({
        kind: 'event',
        event: JSON.parse(data.toString()) as Record<string, unknown>,
      });
    }
    if (waiter !== undefined && received.length >= want) {
      waiter();
    }
  });
  await new Promise<void>((r) => client.once('open', () => r()));
  const server = await serverSide;
  const socket: unknown = Reflect.get(server, '_socket');
  if (!(socket instanceof Socket)) {
    throw new Error('ws no longer exposes its socket');
  }
  const transport = new WsTransport(
    server,
    createMetrics(),
    DEFAULT_WS_BACKPRESSURE,
    () => undefined,
  );
  return {
    transport,
    socket,
    received,
    waitFor: (n) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`waited for ${n} messages`)), 10_000);
        want = n;
        waiter = () => {
          clearTimeout(t);
          resolve();
        };
        if (received.length >= n) {
          waiter();
        }
      }),
    close: async () => {
      client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const delta = (turnId: string, text: string) =>
  ({ type: 'response.text.delta', turnId, text }) as const;

describe('WsTransport text delta coalescing', () => {
  it('sends a burst of deltas as one, before the next event, in order', async () => {
    const c = await connect();
    cleanup = c.close;
    c.transport.sendEvent({ type: 'response.started', turnId: 't1' });
    for (const t of ['You', ' said:', ' hi', ' there.']) {
      c.transport.sendEvent(delta('t1', t));
    }
    c.transport.sendEvent({
      type: 'response.done',
      turnId: 't1',
      text: 'You said: hi there.',
      heardText: 'You said: hi there.',
    });
    await c.waitFor(3);
    expect(c.received.map((r) => (r.kind === 'event' ? r.event : r))).toEqual([
      { type: 'response.started', turnId: 't1' },
      delta('t1', 'You said: hi there.'),
      {
        type: 'response.done',
        turnId: 't1',
        text: 'You said: hi there.',
        heardText: 'You said: hi there.',
      },
    ]);
  });

  it('sends held text before an audio frame, keeps turns apart, and flushes on its own', async () => {
    const c = await connect();
    cleanup = c.close;
    c.transport.sendEvent(delta('t1', 'a'));
    c.transport.sendEvent(delta('t1', 'b'));
    c.transport.sendAudio({
      turnId: 't1',
      seq: 7,
      payload: Buffer.alloc(640),
      turnAudioEndMs: 20,
      textEnd: 0,
      sentTsMs: 0,
      playAtMs: 0,
    });
    c.transport.sendEvent(delta('t1', 'c'));
    c.transport.sendEvent(delta('t2', 'd'));
    c.transport.sendEvent(delta('t2', 'e'));
    // Nothing else is sent: the shared timer must flush 'de' by itself.
    await c.waitFor(4);
    expect(c.received).toEqual([
      { kind: 'event', event: delta('t1', 'ab') },
      { kind: 'audio', seq: 7 },
      { kind: 'event', event: delta('t1', 'c') },
      { kind: 'event', event: delta('t2', 'de') },
    ]);
  });
});

describe('WsTransport socket writes', () => {
  it('sends what one run sends in one socket write, in order, and nothing waits past the run', async () => {
    const c = await connect();
    cleanup = c.close;
    const writes: number[] = [];
    const writev = c.socket._writev?.bind(c.socket);
    const write = c.socket._write.bind(c.socket);
    c.socket._writev = (chunks, cb) => {
      writes.push(chunks.length);
      writev?.(chunks, cb);
    };
    c.socket._write = (chunk, enc, cb) => {
      writes.push(1);
      write(chunk, enc, cb);
    };
    const frame = (seq: number) => ({
      turnId: 't1',
      seq,
      payload: Buffer.alloc(640),
      turnAudioEndMs: 20 * (seq + 1),
      textEnd: 0,
      sentTsMs: 0,
      playAtMs: 0,
    });
    c.transport.sendEvent({ type: 'response.started', turnId: 't1' });
    c.transport.sendAudio(frame(0));
    c.transport.sendAudio(frame(1));
    c.transport.sendEvent({ type: 'speech.started', tsMs: 5 });
    expect(c.socket.writableCorked).toBe(1);
    await new Promise<void>((r) => process.nextTick(r));
    expect(c.socket.writableCorked).toBe(0);
    // Four messages, a header and a payload each: one writev of eight buffers.
    expect(writes).toEqual([8]);
    await c.waitFor(4);
    expect(c.received).toEqual([
      { kind: 'event', event: { type: 'response.started', turnId: 't1' } },
      { kind: 'audio', seq: 0 },
      { kind: 'audio', seq: 1 },
      { kind: 'event', event: { type: 'speech.started', tsMs: 5 } },
    ]);
  });
});
