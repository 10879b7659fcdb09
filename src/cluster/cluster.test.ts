import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import {
  ADMIN_HEADERS,
  createApiKey,
  mintToken,
  refusalOf,
  until,
} from '../testing/gateway-client.js';
import { TEST_ADMIN_KEY, TEST_JWT_SECRET, testToken } from '../testing/relay-harness.js';
import { startRelayProcess, type RelayProcess } from '../testing/relay-process.js';

interface Listed {
  sessions: { id: string; node: string }[];
}

let relay: RelayProcess;
const clients: RelayClient[] = [];

beforeAll(async () => {
  relay = await startRelayProcess(
    ['--workers', '2', '--node-id', 'box'],
    {
      VOICE_RELAY_JWT_SECRET: TEST_JWT_SECRET,
      VOICE_RELAY_ADMIN_KEYS: TEST_ADMIN_KEY,
    },
    // Three processes start their engines at once: slow on a loaded machine.
    120_000,
  );
}, 150_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  if (relay !== undefined) {
    await relay.stop();
    relay.child.kill('SIGKILL');
  }
});

async function listSessions(): Promise<Listed['sessions']> {
  const res = await fetch(`${relay.gateway}/v1/sessions`, { headers: ADMIN_HEADERS });
  expect(res.status).toBe(200);
  return ((await res.json()) as Listed).sessions;
}

async function open(token?: string): Promise<{ client: RelayClient; sessionId: string }> {
  const client = await RelayClient.connect({
    url: `ws://${relay.media}`,
    pipeline: 'sim',
    token: token ?? (await testToken()),
  });
  clients.push(client);
  const ready = await client.log.waitFor('session.ready');
  return { client, sessionId: ready.sessionId };
}

/** Worker pids from the workers' start lines (a restarted worker logs a new one). */
function workerPids(): Map<number, number> {
  const pids = new Map<number, number>();
  for (const line of relay.output().split('\n')) {
    if (line.includes('"msg":"worker started"')) {
      const l = JSON.parse(line) as { worker: number; pid: number };
      pids.set(l.worker, l.pid);
    }
  }
  return pids;
}

describe('--workers 2 (one box, memory state hosted by the primary)', () => {
  const opened: { client: RelayClient; sessionId: string }[] = [];

  it('spreads sessions over both workers; the registry and /metrics see all of them', async () => {
    expect(relay.node).toBe('box');
    await until(() => Promise.resolve(workerPids().size === 2 ? true : undefined));
    // Connections are handed out round-robin; open until both workers hold one (bounded).
    let nodes = new Set<string>();
    for (let i = 0; i < 8 && nodes.size < 2; i++) {
      opened.push(await open());
      const listed = await listSessions();
      nodes = new Set(listed.map((s) => s.node));
    }
    expect([...nodes].sort()).toEqual(['box-w1', 'box-w2']);
    const listed = await until(async () => {
      const l = await listSessions();
      return l.length === opened.length ? l : undefined;
    });
    const onW1 = listed.filter((s) => s.node === 'box-w1').length;
    const onW2 = listed.filter((s) => s.node === 'box-w2').length;
    const text = await (await fetch(`${relay.gateway}/metrics`)).text();
    expect(text).toContain(`relay_worker_sessions_active{worker="1"} ${onW1}`);
    expect(text).toContain(`relay_worker_sessions_active{worker="2"} ${onW2}`);
    // Summed over the workers: one series, not one per process.
    expect(text).toContain(`relay_sessions_active{transport="ws"} ${opened.length}`);
    expect(text.match(/^relay_sessions_active\{transport="ws"\}/gm)).toHaveLength(1);
    expect(text).toContain('relay_cluster_workers 2');
  }, 60_000);

  it('DELETE /v1/sessions/:id ends a session on either worker', async () => {
    const listed = await listSessions();
    for (const node of ['box-w1', 'box-w2']) {
      const record = listed.find((s) => s.node === node);
      const target = opened.find((o) => o.sessionId === record?.id);
      expect(target).toBeDefined();
      const del = await fetch(`${relay.gateway}/v1/sessions/${record?.id ?? ''}`, {
        method: 'DELETE',
        headers: ADMIN_HEADERS,
      });
      expect(del.status).toBe(202);
      expect((await target?.client.closed)?.code).toBe(1000);
    }
  }, 60_000);

  it('enforces the per-key session limit across workers', async () => {
    const { key } = await createApiKey(relay.gateway, {
      tenant: 'acme',
      scopes: ['session:create', 'token:create'],
      maxSessions: 1,
    });
    const token = await mintToken(relay.gateway, key, { pipelines: '*', subject: 'one' });
    const first = await open(token);
    // Whichever worker takes the next connection, the key's one slot is taken.
    for (let i = 0; i < 2; i++) {
      const refused = await refusalOf(
        RelayClient.connect({ url: `ws://${relay.media}`, pipeline: 'sim', token }),
      );
      expect(refused.status).toBe(429);
    }
    await first.client.close();
  }, 60_000);

  it('restarts a worker that dies and releases its sessions from the registry', async () => {
    const pids = workerPids();
    const victim = pids.get(2);
    expect(victim).toBeDefined();
    const mine = opened.length;
    opened.push(await open(), await open());
    const before = await until(async () => {
      const l = await listSessions();
      return l.some((s) => s.node === 'box-w2') && l.length >= 2 ? l : undefined;
    });
    expect(before.length).toBeGreaterThan(0);
    process.kill(victim ?? 0, 'SIGKILL');
    // Its clients lose their socket; the registry forgets its sessions; a new worker 2 starts.
    await until(async () =>
      (await listSessions()).some((s) => s.node === 'box-w2') ? undefined : true,
    );
    await until(() => {
      const now = workerPids().get(2);
      return Promise.resolve(now !== undefined && now !== victim ? true : undefined);
    });
    await until(async () => {
      const text = await (await fetch(`${relay.gateway}/metrics`)).text();
      return text.includes('relay_cluster_worker_restarts_total 1') &&
        text.includes('relay_cluster_workers 2')
        ? true
        : undefined;
    });
    expect((await fetch(`${relay.gateway}/readyz`)).status).toBe(200);
    // Both workers take sessions again.
    const nodes = new Set<string>();
    for (let i = 0; i < 8 && nodes.size < 2; i++) {
      const { sessionId } = await open();
      const rec = await until(async () => (await listSessions()).find((s) => s.id === sessionId));
      nodes.add(rec.node);
    }
    expect([...nodes].sort()).toEqual(['box-w1', 'box-w2']);
    expect(opened.length).toBeGreaterThan(mine);
  }, 90_000);

  it('drains every worker on SIGTERM and exits 0', async () => {
    expect(await relay.stop()).toBe(0);
    const out = relay.output();
    expect(out.match(/"msg":"worker stopped"/g)?.length).toBe(2);
  }, 60_000);
});
