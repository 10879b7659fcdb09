import type { QuotaService } from '../quota/quota-service.js';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { limitKeyOf, type Principal } from '../auth/principal.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { Ticker } from '../core/ticker.js';
import { RelayError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { PipelineDeps } from '../pipeline/session-pipeline.js';
import type { ControlMessage, SessionRecord, StateStore } from '../state/types.js';
import type { SessionTransport } from '../transports/ports.js';
import { RelaySession } from './relay-session.js';

export interface SessionLimits {
  /** Sessions per credential (API key, else tenant: `limitKeyOf`) unless it says less. */
  maxSessionsPerKey: number;
  /** New sessions per credential per minute. */
  connectsPerMinute: number;
  /** Sessions this process accepts in all (503 beyond). */
  maxSessions: number;
}

export interface SessionManagerOptions {
  nodeId: string;
  store: StateStore;
  deps: PipelineDeps;
  /** Tenant quotas (README "Quotas"); none = unlimited. */
  quotas?: QuotaService | undefined;
  limits: SessionLimits;
  logger: Logger;
  /** How often the registry TTL and session info are refreshed (default 10 s). */
  refreshMs?: number;
  /**
   * Degraded mode (`state.whenUnavailable: admit`): when the store is unreachable,
   * admit new sessions without the fleet-wide limits instead of refusing them (503).
   */
  admitWhenStoreDown?: boolean;
}

export interface Admission {
  sessionId: string;
  slotKey: string;
}

/**
 * The sessions of this node: admission (rate and concurrency limits in the state
 * store, checked at the upgrade), the fleet registry, the control bus (kill from any
 * gateway), the jitter ticks of every session from the one shared ticker, and drain.
 */
export class SessionManager {
  readonly nodeId: string;
  readonly #o: SessionManagerOptions;
  readonly #sessions = new Map<string, RelaySession>();
  readonly #ticker: Ticker;
  readonly #metrics: Metrics;
  readonly #slots = new Map<string, string>();
  #unsubscribeTick: (() => void) | undefined;
  #unsubscribeControl: (() => Promise<void>) | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #draining = false;
  #ticks = 0;

  constructor(o: SessionManagerOptions) {
    this.#o = o;
    this.nodeId = o.nodeId;
    this.#ticker = o.deps.ticker;
    this.#metrics = o.deps.metrics;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Admissions not yet a session nor released (leases held by ingresses). */
  get admitting(): number {
    return this.#slots.size;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get(id: string): RelaySession | undefined {
    return this.#sessions.get(id);
  }

  list(): RelaySession[] {
    return [...this.#sessions.values()];
  }

  async start(): Promise<void> {
    this.#unsubscribeControl = await this.#o.store.subscribeControl(this.nodeId, (m) =>
      this.#onControl(m),
    );
    this.#refreshTimer = setInterval(() => void this.#refresh(), this.#o.refreshMs ?? 10_000);
    this.#refreshTimer.unref();
  }

  /**
   * Admission control at the upgrade, before any handshake: draining → 503, process
   * full → 503, connection rate or concurrent sessions of the credential → 429.
   */
  async admit(principal: Principal): Promise<Admission> {
    if (this.#draining) {
      throw new RelayError('RELAY_ERR_DRAINING', 'relay is draining; reconnect to another node');
    }
    const lim = this.#o.limits;
    if (this.#sessions.size + this.#slots.size >= lim.maxSessions) {
      throw new RelayError('RELAY_ERR_OVERLOADED', 'relay is at its session limit');
    }
    const sessionId = randomUUID();
    const slotKey = `sessions:${limitKeyOf(principal)}`;
    try {
      await this.#fleetLimits(principal, sessionId, slotKey);
    } catch (err) {
      const storeDown = err instanceof RelayError && err.code === 'RELAY_ERR_STORE_UNAVAILABLE';
      if (!storeDown || this.#o.admitWhenStoreDown !== true) {
        throw err;
      }
      // The slot is taken later by the registry refresh, once the store is back.
      this.#o.logger.warn(
        { err: String(err) },
        'state store unavailable; admitted without fleet limits',
      );
    }
    this.#slots.set(sessionId, slotKey);
    return { sessionId, slotKey };
  }

  /** Connection rate and concurrent sessions of the credential, fleet-wide. */
  async #fleetLimits(principal: Principal, sessionId: string, slotKey: string): Promise<void> {
    const lim = this.#o.limits;
    const who = limitKeyOf(principal);
    const rate = await this.#o.store.hitRate(`connect:${who}`, lim.connectsPerMinute, 60_000);
    if (!rate.allowed) {
      throw new RelayError('RELAY_ERR_RATE_LIMITED', 'connection rate limit reached', {
        details: { retryAfterMs: rate.retryAfterMs },
      });
    }
    const max = Math.min(principal.limits?.maxSessions ?? Infinity, lim.maxSessionsPerKey);
    if (!(await this.#o.store.acquireSessionSlot(slotKey, max, sessionId))) {
      throw new RelayError('RELAY_ERR_RATE_LIMITED', `concurrent session limit (${max}) reached`, {
        details: { retryAfterMs: 1_000 },
      });
    }
  }

  /** Give back an admission that did not become a session (e.g. the handshake failed). */
  release(admission: Admission): void {
    if (this.#slots.delete(admission.sessionId)) {
      this.#background(
        'release_slot',
        this.#o.store.releaseSessionSlot(admission.slotKey, admission.sessionId),
      );
    }
  }

  create(
    admission: Admission,
    config: PipelineConfig,
    principal: Principal,
    transport: SessionTransport,
  ): RelaySession {
    // Everything that can throw comes before the session is registered: a failed create
    // leaves the admission to be released, and nothing else behind.
    const kind = transport.kind;
    const logger = this.#o.logger.child({ sessionId: admission.sessionId, pipeline: config.name });
    const session = new RelaySession({
      id: admission.sessionId,
      config,
      principal,
      transport,
      deps: this.#o.deps,
      quotas: this.#o.quotas,
      logger,
      onEnded: (s) => this.#onEnded(s, admission),
      onTurnEnded: (s) => {
        this.publishInfo(s.id).catch((err: unknown) =>
          logger.debug({ err: String(err) }, 'session info publish failed'),
        );
      },
    });
    this.#sessions.set(session.id, session);
    this.#slots.delete(admission.sessionId);
    this.#metrics.sessionsActive.labels(kind).inc();
    this.#metrics.sessionsTotal.labels(kind).inc();
    if (this.#unsubscribeTick === undefined) {
      this.#unsubscribeTick = this.#ticker.subscribe(this.#tick);
    }
    this.#o.store
      .registerSession(this.#recordOf(session))
      .catch((err: unknown) => logger.warn({ err: String(err) }, 'session registry write failed'));
    logger.info({ transport: kind, tenant: principal.tenant }, 'session started');
    session.start();
    return session;
  }

  /**
   * Drain: announce `session.closing` to every session, let each finish its current
   * reply within `graceMs`, then close them all with 1001.
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    for (const s of this.#sessions.values()) {
      s.announceClosing(1001, 'server draining');
    }
    const deadline = Date.now() + graceMs;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        for (const s of this.#sessions.values()) {
          if (!s.responding || Date.now() >= deadline) {
            s.end(1001, 'server draining');
          }
        }
        if (this.#sessions.size === 0) {
          resolve();
        } else {
          setTimeout(check, 50).unref();
        }
      };
      check();
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sessions.values()) {
      s.end(1001, 'server shutting down');
    }
    if (this.#refreshTimer !== undefined) {
      clearInterval(this.#refreshTimer);
    }
    this.#unsubscribeTick?.();
    this.#unsubscribeTick = undefined;
    await this.#unsubscribeControl?.();
    this.#unsubscribeControl = undefined;
  }

  readonly #tick = (tsMs: number): void => {
    const poll = ++this.#ticks % 50 === 0;
    for (const s of this.#sessions.values()) {
      s.tick(tsMs, poll);
    }
  };

  #onControl(m: ControlMessage): void {
    const s = this.#sessions.get(m.sessionId);
    if (s === undefined) {
      return;
    }
    if (m.type === 'kill') {
      s.end(m.code ?? 1000, `terminated: ${m.reason}`);
    }
  }

  #onEnded(session: RelaySession, admission: Admission): void {
    this.#sessions.delete(session.id);
    this.#metrics.sessionsActive.labels(session.transport.kind).dec();
    if (this.#sessions.size === 0) {
      this.#unsubscribeTick?.();
      this.#unsubscribeTick = undefined;
    }
    const store = this.#o.store;
    this.#background('release_slot', store.releaseSessionSlot(admission.slotKey, session.id));
    this.#background('remove_session', store.removeSession(session.id));
  }

  /** A store write nobody waits for: a failure is logged and counted, never lost. */
  #background(op: 'release_slot' | 'remove_session', p: Promise<unknown>): void {
    p.catch((err: unknown) => {
      this.#metrics.storeErrors.labels(op).inc();
      this.#o.logger.warn({ op, err: String(err) }, 'state store operation failed');
    });
  }

  async #refresh(): Promise<void> {
    const store = this.#o.store;
    try {
      for (const s of this.#sessions.values()) {
        const slotKey = `sessions:${limitKeyOf(s.principal)}`;
        await store.acquireSessionSlot(slotKey, Number.MAX_SAFE_INTEGER, s.id);
        const present = await store.updateSession(s.id, { state: s.state, info: this.#infoOf(s) });
        if (!present) {
          // The record is gone (a store restart, or it was written while the store was
          // down): recreate it, so operators can see and end the session again.
          await store.registerSession({ ...this.#recordOf(s), info: this.#infoOf(s) });
        }
      }
    } catch (err) {
      this.#o.logger.warn({ err: String(err) }, 'session registry refresh failed');
    }
  }

  #recordOf(s: RelaySession): SessionRecord {
    return {
      id: s.id,
      tenant: s.principal.tenant,
      pipeline: s.config.name,
      node: this.nodeId,
      transport: s.transport.kind,
      state: s.state,
      createdAtMs: s.createdAtMs,
      updatedAtMs: Date.now(),
      ...(s.principal.keyId === undefined ? {} : { keyId: s.principal.keyId }),
    };
  }

  #infoOf(s: RelaySession): Record<string, unknown> {
    const info = s.info();
    return { jitter: info.jitter, pipeline: info.pipeline };
  }

  /** Write a session's current info to the registry now (tests, admin reads). */
  async publishInfo(id: string): Promise<void> {
    const s = this.#sessions.get(id);
    if (s !== undefined) {
      await this.#o.store.updateSession(id, { state: s.state, info: this.#infoOf(s) });
    }
  }
}
