import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Authenticator } from '../auth/authenticator.js';
import { limitKeyOf } from '../auth/principal.js';
import { PipelineRegistry } from '../config/pipeline-registry.js';
import { Ticker } from '../core/ticker.js';
import { RelayError } from '../errors/errors.js';
import { silentLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { StageClients } from '../stages/stage-clients.js';
import { grpcStageFactory } from '../stages/grpc-stage-factory.js';
import { MemoryStateStore } from '../state/memory-store.js';
import { testPipeline } from '../testing/pipeline-harness.js';
import type { AdmissionLease, SessionTransport } from '../transports/ports.js';
import { SessionGate } from './admission.js';
import { SessionManager } from './session-manager.js';

const PIPELINE_YAML = `
stages:
  stt: { endpoints: [embedded], budgetMs: 3000 }
  llm: { endpoints: [embedded], budgetMs: 3000 }
  tts: { endpoints: [embedded], budgetMs: 3000 }
`;
const SECRET = 'admission-test-secret-0123456789-abcdef';

function token(tenant = 'acme', pipelines: string[] | '*' = '*'): Promise<string> {
  return new SignJWT({ tenant, pipelines, scope: 'session:create' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('tester')
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

/** A transport whose construction of the session fails (its kind cannot be read). */
const BROKEN_TRANSPORT = {
  get kind(): string {
    throw new Error('broken transport');
  },
  sendEvent: () => undefined,
  sendAudio: () => undefined,
  close: () => undefined,
} satisfies SessionTransport;

async function codeOf(f: () => unknown): Promise<string | undefined> {
  try {
    await f();
    return undefined;
  } catch (e) {
    return e instanceof RelayError ? e.code : e instanceof Error ? e.message : String(e);
  }
}

describe('admission gate and lease', () => {
  let store: MemoryStateStore;
  let manager: SessionManager;
  let gate: SessionGate;
  let ticker: Ticker;
  let clients: StageClients;
  let listenerDraining = false;

  beforeEach(() => {
    const logger = silentLogger();
    ticker = new Ticker(20);
    clients = new StageClients();
    store = new MemoryStateStore({ nodeId: 'n1' });
    manager = new SessionManager({
      nodeId: 'n1',
      store,
      deps: { stages: grpcStageFactory(clients), ticker, metrics: createMetrics(), logger },
      // One session in the process and one per credential: any leaked slot blocks the next.
      limits: { maxSessionsPerKey: 1, connectsPerMinute: 1_000, maxSessions: 1 },
      logger,
    });
    listenerDraining = false;
    gate = new SessionGate({
      sessions: manager,
      pipelines: PipelineRegistry.of([testPipeline(PIPELINE_YAML, 'test')]),
      authenticator: new Authenticator({
        jwt: { hs256Secret: SECRET },
        keys: { getApiKey: () => Promise.resolve(undefined) },
      }),
      draining: () => listenerDraining,
    });
  });

  afterEach(async () => {
    await manager.close();
    ticker.stop();
    clients.close();
  });

  const admit = async (gone?: () => boolean): Promise<AdmissionLease> =>
    gate.admit({
      credential: { kind: 'token', token: await token(), source: 'authorization' },
      pipeline: 'test',
      ...(gone === undefined ? {} : { gone }),
    });

  /** True when the credential's slot in the store is free (probed and given back). */
  const keySlotFree = async (lease: AdmissionLease): Promise<boolean> => {
    const key = `sessions:${limitKeyOf(lease.principal)}`;
    const free = await store.acquireSessionSlot(key, 1, 'probe');
    if (free) {
      await store.releaseSessionSlot(key, 'probe');
    }
    return free;
  };

  /** Store releases run in the background: let them land. */
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('refuses in order: drain, credential, pipeline, authorization, limits', async () => {
    listenerDraining = true;
    expect(await codeOf(() => admit())).toBe('RELAY_ERR_DRAINING');
    listenerDraining = false;
    const bad = { kind: 'token', token: 'not-a-token', source: 'authorization' } as const;
    expect(await codeOf(() => gate.admit({ credential: bad, pipeline: 'test' }))).toBe(
      'RELAY_ERR_UNAUTHENTICATED',
    );
    const good = { kind: 'token', token: await token(), source: 'authorization' } as const;
    expect(await codeOf(() => gate.admit({ credential: good, pipeline: 'nope' }))).toBe(
      'RELAY_ERR_NOT_FOUND',
    );
    const other = {
      kind: 'token',
      token: await token('acme', ['other']),
      source: 'authorization',
    } as const;
    expect(await codeOf(() => gate.admit({ credential: other, pipeline: 'test' }))).toBe(
      'RELAY_ERR_FORBIDDEN',
    );
    const held = await admit();
    expect(await codeOf(() => admit())).toBe('RELAY_ERR_OVERLOADED');
    held.release();
    await settle();
    (await admit()).release();
  });

  it('a released lease gives back the process slot and the per-key slot, once', async () => {
    const lease = await admit();
    expect(await keySlotFree(lease)).toBe(false);
    lease.release();
    lease.release();
    await settle();
    expect(lease.open).toBe(false);
    expect(await keySlotFree(lease)).toBe(true);
    const again = await admit();
    again.release();
  });

  it('a client that left during admission gets RELAY_ERR_CLOSED and holds nothing', async () => {
    let gone = false;
    const pending = admit(() => gone);
    gone = true;
    expect(await codeOf(() => pending)).toBe('RELAY_ERR_CLOSED');
    await settle();
    const next = await admit();
    expect(await keySlotFree(next)).toBe(false);
    next.release();
  });

  it('a failed commit releases: client gone, drain started, or the session cannot be built', async () => {
    let gone = false;
    const first = await admit(() => gone);
    gone = true;
    expect(await codeOf(() => first.commit(BROKEN_TRANSPORT))).toBe('RELAY_ERR_CLOSED');
    expect(first.open).toBe(false);
    await settle();
    expect(await keySlotFree(first)).toBe(true);

    const second = await admit();
    listenerDraining = true;
    expect(await codeOf(() => second.commit(BROKEN_TRANSPORT))).toBe('RELAY_ERR_DRAINING');
    listenerDraining = false;
    await settle();
    expect(await keySlotFree(second)).toBe(true);

    const third = await admit();
    expect(await codeOf(() => third.commit(BROKEN_TRANSPORT))).toBe('broken transport');
    expect(third.open).toBe(false);
    await settle();
    expect(await keySlotFree(third)).toBe(true);
    expect(manager.size).toBe(0);
    // Nothing leaked: the one process slot and the one per-key slot are free again.
    const last = await admit();
    expect(await codeOf(() => last.commit(BROKEN_TRANSPORT))).toBe('broken transport');
    expect(await codeOf(() => last.commit(BROKEN_TRANSPORT))).toBe('RELAY_ERR_CLOSED');
  });
});
