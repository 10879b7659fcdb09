import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayError } from '../errors/index.js';
import { runStateStoreContract, waitFor } from './contract.js';
import { startRedisServer, type RedisServerHandle } from './redis-harness.js';
import { RedisStateStore } from './redis-store.js';

let server: RedisServerHandle;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

runStateStoreContract(
  'redis',
  (o) =>
    Promise.resolve(
      new RedisStateStore({
        url: server.url,
        nodeId: o.nodeId,
        keyPrefix: o.namespace,
        sessionTtlMs: o.sessionTtlMs,
        slotTtlMs: o.slotTtlMs,
      }),
    ),
  async () => {
    await admin.flushall();
  },
  {
    publishRaw: async (namespace, nodeId, raw) => {
      await admin.publish(`${namespace}control:${nodeId}`, raw);
    },
  },
);

describe('RedisStateStore', () => {
  it('surfaces an unreachable server as a retryable RelayError', async () => {
    const dead = await startRedisServer();
    await dead.stop();
    const store = new RedisStateStore({ url: dead.url, nodeId: 'n' });
    const err: unknown = await store.getSession('s').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect(err).toMatchObject({ code: 'RELAY_ERR_STORE_UNAVAILABLE', retryable: true });
    await store.close();
  });

  it('uses server-side expiry (PEXPIRE) for sessions', async () => {
    const store = new RedisStateStore({
      url: server.url,
      nodeId: 'n',
      keyPrefix: 'ttl:',
      sessionTtlMs: 30_000,
    });
    const now = Date.now();
    await store.registerSession({
      id: 's',
      tenant: 't',
      pipeline: 'p',
      node: 'n',
      transport: 'ws',
      state: 'active',
      createdAtMs: now,
      updatedAtMs: now,
    });
    const ttl = await admin.pttl('ttl:session:s');
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await store.close();
  });

  it('close() quits the command and subscriber connections', async () => {
    const store = new RedisStateStore({ url: server.url, nodeId: 'closer', keyPrefix: 'c:' });
    await store.subscribeControl('closer', () => undefined);
    await store.getSession('x');
    const names = async (): Promise<string[]> =>
      ((await admin.call('CLIENT', 'LIST')) as string)
        .split('\n')
        .map((line) => /name=(\S*)/.exec(line)?.[1] ?? '')
        .filter((n) => n.endsWith(':closer'));
    expect((await names()).sort()).toEqual(['vr-state-sub:closer', 'vr-state:closer']);
    await store.close();
    await waitFor(async () => (await names()).length === 0, 'connections to close');
  });
});
