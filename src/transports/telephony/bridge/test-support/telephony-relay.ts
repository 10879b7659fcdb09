/**
 * A relay with the telephony module on loopback for tests: media listener only, temp
 * pipeline files, the AudioSocket listener on a free port, and every call's server events
 * collected (the carrier side sees only audio, marks and clears).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { mintClientToken } from '../../../../auth/client-token.js';
import type { ServerEvent } from '../../../../frames/events.js';
import { silentLogger } from '../../../../observability/logger.js';
import { relayConfigSchema } from '../../../../server/relay-config.js';
import { startRelay, type Relay } from '../../../../server/relay.js';
import { EventLog } from '../../../../client/event-log.js';
import { TEST_ADMIN_KEY, TEST_JWT_SECRET, testToken } from '../../../../testing/relay-harness.js';
import type { CallInfo, TelephonyModuleOptions } from '../options.js';
import { createTelephonyModule } from '../telephony-module.js';

export interface ObservedCall {
  info: CallInfo;
  log: EventLog;
}

/** Every call's server events, keyed by session id. */
export class CallRegistry {
  readonly calls = new Map<string, ObservedCall>();

  readonly onEvent = (info: CallInfo, event: ServerEvent): void => {
    const id = info.sessionId;
    if (id === undefined) {
      return;
    }
    let c = this.calls.get(id);
    if (c === undefined) {
      c = { info, log: new EventLog() };
      this.calls.set(id, c);
    }
    c.log.push(event);
  };

  /** The call matching `pred`, waiting for it to appear. */
  async find(pred: (info: CallInfo) => boolean, timeoutMs = 10_000): Promise<ObservedCall> {
    await until(() => [...this.calls.values()].some((c) => pred(c.info)), timeoutMs, 'call');
    const found = [...this.calls.values()].find((c) => pred(c.info));
    if (found === undefined) {
      throw new Error('call vanished');
    }
    return found;
  }
}

/** Wait for a condition, checking every 10 ms, bounded. */
export async function until(
  cond: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`${what} not met within ${timeoutMs} ms`);
    }
    await new Promise<void>((r) => setTimeout(r, 10));
  }
}

export interface TelephonyTestRelay {
  relay: Relay;
  calls: CallRegistry;
  /** host:port of the media listener. */
  media: string;
  audioSocketPort: number | undefined;
  close(): Promise<void>;
}

export interface TelephonyTestRelayOptions {
  /** Pipeline files by name (YAML text). */
  pipelines: Record<string, string>;
  telephony: Omit<TelephonyModuleOptions, 'onEvent'>;
  /** Default: silent. */
  logger?: Logger;
}

export async function startTelephonyRelay(
  o: TelephonyTestRelayOptions,
): Promise<TelephonyTestRelay> {
  const dir = await mkdtemp(join(tmpdir(), 'vr-telephony-'));
  for (const [name, text] of Object.entries(o.pipelines)) {
    await writeFile(join(dir, `${name}.yaml`), text);
  }
  const calls = new CallRegistry();
  let audioSocketPort: number | undefined;
  const telephony: TelephonyModuleOptions = {
    ...o.telephony,
    onEvent: calls.onEvent,
    ...(o.telephony.audioSocket === undefined
      ? {}
      : {
          audioSocket: {
            ...o.telephony.audioSocket,
            onListening: (a) => {
              audioSocketPort = a.port;
            },
          },
        }),
  };
  const config = relayConfigSchema.parse({
    role: 'media',
    mediaPort: 0,
    opsPort: 0,
    pipelinesDir: dir,
    logLevel: 'silent',
    adminKeys: [TEST_ADMIN_KEY],
    jwt: { hs256Secret: TEST_JWT_SECRET },
    heartbeatMs: 5_000,
  });
  let relay: Relay;
  try {
    relay = await startRelay(config, o.logger ?? silentLogger(), {
      modules: [createTelephonyModule(telephony)],
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    relay,
    calls,
    media: relay.mediaAddress ?? '',
    audioSocketPort,
    close: async () => {
      await relay.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A short-lived gateway-style client token (what a path token must be by default). */
export async function clientToken(tenant = 'acme'): Promise<string> {
  const t = await mintClientToken({
    secret: TEST_JWT_SECRET,
    tenant,
    subject: `carrier-${tenant}`,
    pipelines: '*',
    scopes: ['session:create'],
    ttlSec: 600,
  });
  return t.token;
}

/** A long-lived relay credential (custom parameters, service tokens). */
export function relayToken(tenant = 'acme', pipelines: string[] | '*' = '*'): Promise<string> {
  return testToken({ tenant, pipelines, subject: `svc-${tenant}` });
}

/**
 * A pipeline of simulated engines with scripted transcripts and a long scripted reply.
 * Budgets are far beyond the profile: a budget a busy machine misses would cancel the
 * utterance and lose the turn the test waits for.
 */
export function phonePipeline(name: string, reply: string, extra = ''): string {
  return `name: ${name}
stages:
  stt:
    endpoints: [embedded:sim]
    budgetMs: 30000
    endpointing: { silenceMs: 400 }
    options: { transcripts: '["tell me a story", "wait stop please", "thanks", "bye"]' }
    sim: { finalDelayMs: 100, partialCadenceMs: 100 }
  llm:
    endpoints: [embedded:sim]
    budgetMs: 30000
    sim: { mode: scripted, script: ["${reply}"], ttftMs: 50, interTokenMs: 5 }
  tts:
    endpoints: [embedded:sim]
    budgetMs: 30000
    sim: { firstAudioMs: 50, msPerChar: 60, chunkMs: 20, realTimeFactor: 0.2 }
interruptions: { minSpeechMs: 300, transcriptWaitMs: 300 }
${extra}`;
}
