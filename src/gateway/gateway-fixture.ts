import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { Authenticator, generateAdminKey } from '../auth/index.js';
import { PipelineRegistry } from '../config/pipeline-registry.js';
import { createMetrics, silentLogger } from '../observability/index.js';
import { MemoryBackend, MemoryStateStore } from '../state/index.js';
import { buildGateway } from './app.js';
import type { GatewayDeps } from './types.js';

/** Test fixture for the gateway (used by the gateway tests only). */

export const TOKEN_SECRET = 'test-hs256-secret-of-at-least-32-chars!!';
export const PEPPER = 'test-pepper';

/** The shape of pipelines/default.yaml, with a chosen name. */
export function pipelineYaml(name: string, budgetMs = 2000): string {
  return `name: ${name}
description: test pipeline ${name}
audio:
  sampleRateHz: 16000
stages:
  stt:
    endpoints: [embedded]
    budgetMs: 1500
    onBudgetExceeded: cancel
    endpointing:
      silenceMs: 500
  llm:
    endpoints: [embedded, "127.0.0.1:50052"]
    budgetMs: ${budgetMs}
    onBudgetExceeded: fallback
    model: sim-echo
    options:
      apiKey: engine-secret-value
      region: eu
  tts:
    endpoints: [embedded]
    budgetMs: 1000
    voice: sim
`;
}

export interface GatewayFixture {
  app: FastifyInstance;
  dir: string;
  backend: MemoryBackend;
  /** The gateway's store (node "gw"). */
  store: MemoryStateStore;
  /** A second node sharing the backend (owns sessions in tests). */
  nodeStore: MemoryStateStore;
  pipelines: PipelineRegistry;
  authenticator: Authenticator;
  registry: Registry;
  adminKey: string;
  deps: GatewayDeps;
  admin: { authorization: string };
  close(): Promise<void>;
}

/** Overrides of the default deps; `undefined` removes a dep (e.g. `tokens: undefined`). */
export type GatewayOverrides = { [K in keyof GatewayDeps]?: GatewayDeps[K] | undefined };

export async function createGatewayFixture(
  overrides: GatewayOverrides = {},
): Promise<GatewayFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'vr-gateway-'));
  await writeFile(join(dir, 'default.yaml'), pipelineYaml('default'));
  await writeFile(join(dir, 'support.yaml'), pipelineYaml('support'));
  const pipelines = await PipelineRegistry.load(dir);
  const backend = new MemoryBackend();
  const store = new MemoryStateStore({ nodeId: 'gw', backend });
  const nodeStore = new MemoryStateStore({ nodeId: 'node-a', backend });
  const authenticator = new Authenticator({
    jwt: { hs256Secret: TOKEN_SECRET },
    keys: store,
    apiKeyPepper: PEPPER,
  });
  const registry = createMetrics(new Registry()).registry;
  const adminKey = generateAdminKey();
  const merged: GatewayOverrides = {
    store,
    pipelines,
    registry,
    adminKeys: [adminKey],
    authenticator,
    apiKeyPepper: PEPPER,
    tokens: { secret: TOKEN_SECRET },
    ready: () => true,
    logger: silentLogger(),
    ...overrides,
  };
  const deps = Object.fromEntries(
    Object.entries(merged).filter(([, v]) => v !== undefined),
  ) as unknown as GatewayDeps;
  const app = await buildGateway(deps);
  return {
    app,
    dir,
    backend,
    store,
    nodeStore,
    pipelines,
    authenticator,
    registry,
    adminKey,
    deps,
    admin: { authorization: `Bearer ${adminKey}` },
    close: async () => {
      await app.close();
      await store.close();
      await nodeStore.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
