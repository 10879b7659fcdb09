import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Authenticator, generateApiKey } from '../auth/index.js';
import { delay } from '../core/index.js';
import { RelayError } from '../errors/index.js';
import type { ControlMessage, SessionRecord, StateStore } from './types.js';

/**
 * The StateStore contract: one suite that every implementation must pass.
 * `makeStore` must return stores that share one backend per `namespace` (two
 * stores with different node ids = two relay nodes) and isolate namespaces.
 */
export interface ContractStoreOptions {
  nodeId: string;
  namespace: string;
  sessionTtlMs: number;
  slotTtlMs: number;
}

export interface ContractHooks {
  /** Deliver raw bytes on a node's control channel (to test validation). */
  publishRaw?: (namespace: string, nodeId: string, raw: string) => Promise<void>;
}

/** Poll `check` until true; fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await delay(10);
  }
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof RelayError ? e.code : 'not-a-relay-error'),
  );
}

const LONG = 60_000;
const SHORT = 400;

export function runStateStoreContract(
  name: string,
  makeStore: (options: ContractStoreOptions) => Promise<StateStore>,
  cleanup: () => Promise<void>,
  hooks: ContractHooks = {},
): void {
  describe(`StateStore contract: ${name}`, () => {
    let namespace = '';
    let counter = 0;
    const open: StateStore[] = [];
    const t0 = Date.now();

    async function store(nodeId = 'node-a', ttl: Partial<ContractStoreOptions> = {}) {
      const s = await makeStore({ nodeId, namespace, sessionTtlMs: LONG, slotTtlMs: LONG, ...ttl });
      open.push(s);
      return s;
    }

    function session(id: string, tenant = 'acme', offset = 0): SessionRecord {
      return {
        id,
        tenant,
        pipeline: 'default',
        node: 'node-a',
        transport: 'ws',
        state: 'active',
        createdAtMs: t0 + offset,
        updatedAtMs: t0 + offset,
      };
    }

    beforeEach(() => {
      namespace = `ct${process.pid}x${++counter}:`;
    });

    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
      await cleanup();
    });

    describe('session registry', () => {
      it('registers, reads, updates and removes', async () => {
        const s = await store();
        const rec = { ...session('s1'), keyId: 'k1', info: { jitter: { p50: 1.5 }, turns: [1] } };
        await s.registerSession(rec);
        expect(await s.getSession('s1')).toEqual(rec);
        expect(await codeOf(s.registerSession(rec))).toBe('RELAY_ERR_CONFLICT');

        expect(await s.updateSession('s1', { state: 'draining', info: { x: 1 } })).toBe(true);
        const updated = await s.getSession('s1');
        expect(updated).toMatchObject({ state: 'draining', info: { x: 1 }, tenant: 'acme' });
        expect(updated?.updatedAtMs).toBeGreaterThan(rec.updatedAtMs);
        expect(await s.updateSession('missing', { state: 'x' })).toBe(false);

        expect(await s.removeSession('s1')).toBe(true);
        expect(await s.getSession('s1')).toBeUndefined();
        expect(await s.removeSession('s1')).toBe(false);
        expect(await s.listSessions()).toEqual([]);
      });

      it('lists in creation order and filters by tenant, across nodes', async () => {
        const a = await store('node-a');
        const b = await store('node-b');
        await a.registerSession(session('s2', 'acme', 2));
        await b.registerSession({ ...session('s1', 'acme', 1), node: 'node-b' });
        await a.registerSession(session('s3', 'other', 3));
        expect((await b.listSessions()).map((r) => r.id)).toEqual(['s1', 's2', 's3']);
        expect((await a.listSessions({ tenant: 'acme' })).map((r) => r.id)).toEqual(['s1', 's2']);
        expect((await a.listSessions({ tenant: 'nobody' })).length).toBe(0);
        await b.removeSession('s2');
        expect((await a.listSessions({ tenant: 'acme' })).map((r) => r.id)).toEqual(['s1']);
      });

      it('bounds info and validates records', async () => {
        const s = await store();
        const big = { blob: 'x'.repeat(20_000) };
        expect(await codeOf(s.registerSession({ ...session('s1'), info: big }))).toBe(
          'RELAY_ERR_PAYLOAD_TOO_LARGE',
        );
        await s.registerSession(session('s1'));
        expect(await codeOf(s.updateSession('s1', { info: big }))).toBe(
          'RELAY_ERR_PAYLOAD_TOO_LARGE',
        );
        expect(await codeOf(s.registerSession({ ...session('s2'), tenant: '' }))).toBe(
          'RELAY_ERR_BAD_REQUEST',
        );
      });

      it('returns copies', async () => {
        const s = await store();
        const rec = { ...session('s1'), info: { n: 1 } };
        await s.registerSession(rec);
        rec.info.n = 2;
        const read = await s.getSession('s1');
        expect(read?.info).toEqual({ n: 1 });
        if (read?.info !== undefined) {
          read.info['n'] = 3;
        }
        expect((await s.getSession('s1'))?.info).toEqual({ n: 1 });
      });

      it('expires records that are not refreshed', async () => {
        const s = await store('node-a', { sessionTtlMs: SHORT });
        await s.registerSession(session('dead'));
        await s.registerSession(session('alive'));
        const start = Date.now();
        // The owner keeps refreshing 'alive' well within the TTL; 'dead' gets nothing.
        await waitFor(async () => {
          expect(await s.touchSessions(['alive'])).toBe(1);
          return (await s.getSession('dead')) === undefined;
        }, 'the unrefreshed session to expire');
        expect(Date.now() - start).toBeGreaterThanOrEqual(SHORT - 50);
        expect((await s.listSessions()).map((r) => r.id)).toEqual(['alive']);
        const until = Date.now() + 2 * SHORT;
        while (Date.now() < until) {
          expect(await s.updateSession('alive', {})).toBe(true);
          await delay(SHORT / 8);
        }
        expect(await s.getSession('alive')).toBeDefined();
        expect(await s.touchSessions(['alive', 'dead', 'never'])).toBe(1);
      });
    });

    describe('control bus', () => {
      it('delivers to the addressed node only, across store instances', async () => {
        const a = await store('node-a');
        const b = await store('node-b');
        const gotA: ControlMessage[] = [];
        const gotB: ControlMessage[] = [];
        await a.subscribeControl('node-a', (m) => void gotA.push(m));
        await b.subscribeControl('node-b', (m) => void gotB.push(m));
        const kill: ControlMessage = { type: 'kill', sessionId: 's1', reason: 'admin' };
        expect(await a.publishControl('node-b', kill)).toBeGreaterThanOrEqual(1);
        await waitFor(() => gotB.length === 1, 'node-b to receive');
        expect(gotB[0]).toEqual(kill);
        const update: ControlMessage = { type: 'update', sessionId: 's2', patch: { v: [1] } };
        await b.publishControl('node-a', update);
        await waitFor(() => gotA.length === 1, 'node-a to receive');
        expect(gotA).toEqual([update]);
        expect(gotB).toEqual([kill]);
        expect(a.stats().controlDelivered).toBe(1);
      });

      it('fans out to several handlers and stops after unsubscribe', async () => {
        const a = await store('node-a');
        const b = await store('node-b');
        const first: ControlMessage[] = [];
        const second: ControlMessage[] = [];
        const off1 = await b.subscribeControl('node-b', (m) => void first.push(m));
        const off2 = await b.subscribeControl('node-b', (m) => void second.push(m));
        const msg: ControlMessage = { type: 'kill', sessionId: 'x', reason: 'r' };
        await a.publishControl('node-b', msg);
        await waitFor(() => first.length === 1 && second.length === 1, 'both handlers');
        await off1();
        await off1();
        await a.publishControl('node-b', msg);
        await waitFor(() => second.length === 2, 'the remaining handler');
        expect(first.length).toBe(1);
        await off2();
        expect(await a.publishControl('node-b', msg)).toBe(0);
      });

      it('rejects invalid outgoing messages', async () => {
        const a = await store();
        const bad = { type: 'explode', sessionId: 's' } as unknown as ControlMessage;
        expect(await codeOf(a.publishControl('node-b', bad))).toBe('RELAY_ERR_BAD_REQUEST');
      });

      it('ignores and counts invalid incoming messages, survives failing handlers', async () => {
        const b = await store('node-b');
        const got: ControlMessage[] = [];
        await b.subscribeControl('node-b', () => {
          throw new Error('handler bug');
        });
        await b.subscribeControl('node-b', () => Promise.reject(new Error('async bug')));
        await b.subscribeControl('node-b', (m) => void got.push(m));
        if (hooks.publishRaw !== undefined) {
          await hooks.publishRaw(namespace, 'node-b', 'not json');
          await hooks.publishRaw(namespace, 'node-b', '{"type":"kill"}');
          await waitFor(() => b.stats().controlInvalid === 2, 'invalid messages to be counted');
        }
        const a = await store('node-a');
        await a.publishControl('node-b', { type: 'kill', sessionId: 's', reason: 'r' });
        await waitFor(() => got.length === 1, 'the valid message');
        await waitFor(() => b.stats().controlHandlerErrors === 2, 'handler errors to be counted');
      });
    });

    describe('session slots', () => {
      it('enforces max, is idempotent per session and frees on release', async () => {
        const a = await store('node-a');
        const b = await store('node-b');
        expect(await a.acquireSessionSlot('tenant:acme', 2, 's1')).toBe(true);
        expect(await b.acquireSessionSlot('tenant:acme', 2, 's2')).toBe(true);
        expect(await a.acquireSessionSlot('tenant:acme', 2, 's3')).toBe(false);
        expect(await b.acquireSessionSlot('tenant:acme', 2, 's1')).toBe(true);
        expect(await a.acquireSessionSlot('tenant:other', 2, 's3')).toBe(true);
        expect(await a.releaseSessionSlot('tenant:acme', 's1')).toBe(true);
        expect(await a.releaseSessionSlot('tenant:acme', 's1')).toBe(false);
        expect(await b.acquireSessionSlot('tenant:acme', 2, 's3')).toBe(true);
        expect(await a.acquireSessionSlot('zero', 0, 's1')).toBe(false);
        expect(await codeOf(a.acquireSessionSlot('k', -1, 's1'))).toBe('RELAY_ERR_BAD_REQUEST');
      });

      it('expires slots of a holder that stopped refreshing', async () => {
        const crashed = await store('node-a', { slotTtlMs: SHORT });
        const live = await store('node-b', { slotTtlMs: SHORT });
        expect(await crashed.acquireSessionSlot('k', 1, 's1')).toBe(true);
        expect(await live.acquireSessionSlot('k', 1, 's2')).toBe(false);
        await waitFor(() => live.acquireSessionSlot('k', 1, 's2'), 'the stale slot to expire');
        expect(await crashed.acquireSessionSlot('k', 1, 's1')).toBe(false);
      });
    });

    describe('rate limits', () => {
      it('allows `limit` hits per window and reports retryAfter', async () => {
        const a = await store('node-a');
        const b = await store('node-b');
        const window = 600;
        expect(await a.hitRate('ip:1', 2, window)).toEqual({ allowed: true, retryAfterMs: 0 });
        expect((await b.hitRate('ip:1', 2, window)).allowed).toBe(true);
        const denied = await a.hitRate('ip:1', 2, window);
        const deniedAt = Date.now();
        expect(denied.allowed).toBe(false);
        expect(denied.retryAfterMs).toBeGreaterThan(0);
        expect(denied.retryAfterMs).toBeLessThanOrEqual(window);
        expect((await b.hitRate('ip:2', 2, window)).allowed).toBe(true);
        await waitFor(async () => (await b.hitRate('ip:1', 2, window)).allowed, 'the window');
        // Not before retryAfter (server and test clocks differ slightly: 50 ms slack).
        expect(Date.now() - deniedAt).toBeGreaterThanOrEqual(denied.retryAfterMs - 50);
        const zero = await a.hitRate('none', 0, window);
        expect(zero.allowed).toBe(false);
        expect(zero.retryAfterMs).toBeGreaterThan(0);
      });
    });

    describe('usage counters', () => {
      it('adds per fixed window across nodes, reads with amount 0, validates', async () => {
        const a = await store('node-a');
        const b = await store('node-b');
        const minute = { key: 'acme:llm', windowMs: 60_000 };
        const day = { key: 'acme:llm', windowMs: 86_400_000 };
        const first = await a.addUsage([
          { ...minute, amount: 30 },
          { ...day, amount: 30 },
        ]);
        expect(first.totals).toEqual([30, 30]);
        expect(first.nowMs).toBeGreaterThan(0);
        const second = await b.addUsage([
          { ...minute, amount: 25 },
          { ...day, amount: 25 },
          { key: 'other:llm', windowMs: 60_000, amount: 0 },
        ]);
        // The minute may have rolled over between the calls; the day (UTC) almost never.
        expect(second.totals[0] === 55 || second.totals[0] === 25).toBe(true);
        expect(second.totals.slice(1)).toEqual([55, 0]);
        expect((await a.addUsage([{ ...day, amount: 0 }])).totals).toEqual([55]);
        expect(await codeOf(a.addUsage([{ ...day, amount: -1 }]))).toBe('RELAY_ERR_BAD_REQUEST');
        expect(await codeOf(a.addUsage([{ ...day, amount: 1.5 }]))).toBe('RELAY_ERR_BAD_REQUEST');
        expect(await codeOf(a.addUsage([]))).toBe('RELAY_ERR_BAD_REQUEST');
      });

      it('starts a new window once the current one ends', async () => {
        const a = await store();
        const c = { key: 'acme:tts', windowMs: 1_000 };
        const first = await a.addUsage([{ ...c, amount: 7 }]);
        const boundary = (Math.floor(first.nowMs / 1_000) + 1) * 1_000;
        let later = first;
        await waitFor(async () => {
          later = await a.addUsage([{ ...c, amount: 0 }]);
          return later.nowMs >= boundary;
        }, 'the next window');
        expect(later.totals).toEqual([0]);
      });
    });

    describe('API keys', () => {
      it('supports CRUD, tenant filter and revocation', async () => {
        const a = await store('node-a');
        const b = await store('node-b');
        const k1 = generateApiKey({ tenant: 'acme', scopes: ['session:create'], pipelines: '*' });
        const k2 = generateApiKey({
          tenant: 'other',
          scopes: [],
          pipelines: ['p'],
          maxSessions: 3,
          description: 'second',
          nowMs: k1.record.createdAtMs + 1,
        });
        await a.putApiKey(k1.record);
        await a.putApiKey(k2.record);
        expect(await b.getApiKey(k2.record.keyId)).toEqual(k2.record);
        expect(await b.getApiKey('missing')).toBeUndefined();
        expect((await b.listApiKeys()).map((r) => r.keyId)).toEqual([
          k1.record.keyId,
          k2.record.keyId,
        ]);
        expect(await b.listApiKeys({ tenant: 'other' })).toEqual([k2.record]);

        const withoutMax = { ...k2.record };
        delete withoutMax.maxSessions;
        await a.putApiKey(withoutMax);
        expect(await b.getApiKey(k2.record.keyId)).toEqual(withoutMax);

        expect(await b.revokeApiKey(k1.record.keyId)).toBe(true);
        expect((await a.getApiKey(k1.record.keyId))?.revoked).toBe(true);
        expect(await b.revokeApiKey('missing')).toBe(false);
        expect(await b.deleteApiKey(k1.record.keyId)).toBe(true);
        expect(await b.deleteApiKey(k1.record.keyId)).toBe(false);
        expect(await a.getApiKey(k1.record.keyId)).toBeUndefined();
        expect((await a.listApiKeys()).map((r) => r.keyId)).toEqual([k2.record.keyId]);
      });

      it('serves as the Authenticator key lookup', async () => {
        const s = await store();
        const { key, record } = generateApiKey({ tenant: 'acme', scopes: [], pipelines: '*' });
        await s.putApiKey(record);
        const auth = new Authenticator({ keys: s });
        expect((await auth.authenticate(key)).keyId).toBe(record.keyId);
        await s.revokeApiKey(record.keyId);
        expect(await codeOf(auth.authenticate(key))).toBe('RELAY_ERR_UNAUTHENTICATED');
      });
    });

    it('rejects calls after close', async () => {
      const s = await store();
      await s.close();
      await s.close();
      expect(await codeOf(s.getSession('s1'))).toBe('RELAY_ERR_CLOSED');
      expect(await codeOf(s.hitRate('k', 1, 1000))).toBe('RELAY_ERR_CLOSED');
    });
  });
}
