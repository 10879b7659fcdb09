import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';
import type { SpeechToTextClient } from '../generated/voicerelay/v1/SpeechToText.js';
import type { RecognizeRequest } from '../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse__Output } from '../generated/voicerelay/v1/RecognizeResponse.js';
import { CallDrain } from './call-drain.js';
import { ChannelPool } from './channel-pool.js';
import { STAGE_CHANNEL_OPTIONS } from './channel.js';
import { stageProtos } from './protos.js';
import { until } from '../testing/gateway-client.js';

type Call = ClientDuplexStream<RecognizeRequest, RecognizeResponse__Output>;

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ engines: ['stt'] });
});
afterAll(async () => {
  await sim.close();
});

function newPool(size: number): ChannelPool {
  return new ChannelPool(sim.address, credentials.createInsecure(), size, STAGE_CHANNEL_OPTIONS);
}

function stt(pool: ChannelPool): SpeechToTextClient {
  return pool.pick(stageProtos().SpeechToText);
}

/** Open a Recognize call and wait until the engine has it (so its connection is known). */
async function open(
  client: SpeechToTextClient,
  id: string,
  simProfile?: object,
): Promise<{ call: Call; peer: string }> {
  const started = sim.stt.waitFor('call-started', (c) => c.requestId === id, 20_000);
  const md = new Metadata();
  if (simProfile !== undefined) {
    md.set('x-sim-profile', JSON.stringify(simProfile));
  }
  const call = client.Recognize(md);
  call.on('data', () => undefined);
  call.on('error', () => undefined);
  call.write({ requestId: id, config: { encoding: 'LINEAR16', sampleRateHz: 16_000 } });
  return { call, peer: (await started).peer };
}

function statusOf(call: Call): Promise<number> {
  return new Promise((resolve) => call.once('status', (s: { code: number }) => resolve(s.code)));
}

describe('a channel pool', () => {
  it('spreads calls over its channels, one connection each, by the fewest calls in flight', async () => {
    const pool = newPool(3);
    try {
      // A call prefers a ready channel: connect all three first.
      pool.connect();
      await until(() => Promise.resolve(pool.ready === 3 ? true : undefined));
      const opened: { call: Call; peer: string }[] = [];
      for (let i = 0; i < 9; i++) {
        opened.push(await open(stt(pool), `spread-${i}`));
      }
      expect(pool.activeCalls).toEqual([3, 3, 3]);
      // Three channels, three HTTP/2 connections (seen from the engine as three peers).
      expect(new Set(opened.map((o) => o.peer)).size).toBe(3);

      // Two calls of one channel end: the next two calls go there, not round the ring.
      const peer0 = opened[0]!.peer;
      const onPeer0 = opened.filter((o) => o.peer === peer0);
      const ended = onPeer0.slice(0, 2).map((o) => statusOf(o.call));
      for (const o of onPeer0.slice(0, 2)) {
        o.call.end();
      }
      expect(await Promise.all(ended)).toEqual([0, 0]);
      expect([...pool.activeCalls].sort()).toEqual([1, 3, 3]);
      const again = [await open(stt(pool), 'refill-0'), await open(stt(pool), 'refill-1')];
      expect(again.map((o) => o.peer)).toEqual([peer0, peer0]);
      expect(pool.activeCalls).toEqual([3, 3, 3]);

      for (const o of [...opened, ...again]) {
        o.call.cancel();
      }
    } finally {
      pool.close();
    }
  });

  it('skips a channel that cannot be used while another one can', () => {
    const pool = newPool(2);
    try {
      const first = stt(pool);
      first.close(); // its channel is shut down
      for (let i = 0; i < 4; i++) {
        expect(stt(pool)).not.toBe(first);
      }
    } finally {
      pool.close();
    }
  });

  it('refuses an empty pool', () => {
    expect(() => newPool(0)).toThrow(RangeError);
  });
});

describe('a call drain', () => {
  it('half-closes retired calls so the engine ends them with OK (no reset)', async () => {
    const pool = newPool(1);
    const drain = new CallDrain();
    try {
      const { call } = await open(stt(pool), 'drain-ok');
      const ended = sim.stt.waitFor('call-ended', (c) => c.requestId === 'drain-ok', 20_000);
      const status = statusOf(call);
      drain.retire(call);
      expect(drain.size).toBe(1);
      expect((await ended).outcome).toBe('ok');
      expect(await status).toBe(0);
      expect(drain.size).toBe(0);
    } finally {
      drain.close();
      pool.close();
    }
  });

  it('cancels a retired call the engine does not finish within the grace', async () => {
    const pool = newPool(1);
    let now = 0;
    const drain = new CallDrain(5_000, 60_000, () => now);
    try {
      // This engine holds everything, its end too, until the call is cancelled.
      const { call } = await open(stt(pool), 'drain-late', {
        faults: { stallBeforeFirstMs: 'Infinity' },
      });
      const cancelled = sim.stt.waitFor('call-cancelled', (c) => c.requestId === 'drain-late');
      drain.retire(call);
      drain.sweep(); // before the grace: left alone
      expect(drain.size).toBe(1);
      now = 5_000;
      drain.sweep();
      expect(drain.size).toBe(0);
      await cancelled;
    } finally {
      drain.close();
      pool.close();
    }
  });
});
