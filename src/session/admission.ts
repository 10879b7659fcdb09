import type { Authenticator } from '../auth/authenticator.js';
import { SCOPES, type Principal } from '../auth/principal.js';
import type { PipelineRegistry } from '../config/pipeline-registry.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import { RelayError, toRelayError } from '../errors/errors.js';
import type {
  AdmissionCredential,
  AdmissionGate,
  AdmissionLease,
  AdmissionRequest,
  SessionHandle,
  SessionTransport,
} from '../transports/ports.js';
import type { Admission, SessionManager } from './session-manager.js';

export interface SessionGateOptions {
  sessions: SessionManager;
  pipelines: PipelineRegistry;
  authenticator: Authenticator;
  /** Extra drain state of the listener (the session manager's own is always honoured). */
  draining?: () => boolean;
}

/**
 * The one admission gate of the relay (the `AdmissionGate` port): every ingress — the
 * protocol-v1 WebSocket, WebRTC signalling, every carrier socket and AudioSocket — runs the
 * same sequence here and gets a lease it commits with its transport or releases.
 */
export class SessionGate implements AdmissionGate {
  readonly #o: SessionGateOptions;

  constructor(o: SessionGateOptions) {
    this.#o = o;
  }

  get draining(): boolean {
    return this.#o.sessions.draining || (this.#o.draining?.() ?? false);
  }

  assertOpen(): void {
    if (this.draining) {
      throw new RelayError('RELAY_ERR_DRAINING', 'relay is draining; reconnect to another node');
    }
  }

  async admit(req: AdmissionRequest): Promise<AdmissionLease> {
    this.assertOpen();
    const { principal, subprotocol } = await this.#authenticate(req.credential);
    const config = this.#o.pipelines.get(req.pipeline);
    if (config === undefined) {
      throw new RelayError('RELAY_ERR_NOT_FOUND', `unknown pipeline "${req.pipeline}"`);
    }
    this.#o.authenticator.authorize(principal, {
      scope: SCOPES.SESSION_CREATE,
      pipeline: req.pipeline,
    });
    await req.beforeAdmit?.({ principal, subprotocol });
    const gone = (): boolean => req.gone?.() ?? false;
    this.assertOpen();
    if (gone()) {
      throw new RelayError('RELAY_ERR_CLOSED', 'client went away');
    }
    const admission = await this.#o.sessions.admit(principal);
    const lease = new Lease(
      this,
      this.#o.sessions,
      admission,
      principal,
      config,
      subprotocol,
      gone,
    );
    if (gone()) {
      lease.release();
      throw new RelayError('RELAY_ERR_CLOSED', 'client went away');
    }
    return lease;
  }

  async #authenticate(
    c: AdmissionCredential,
  ): Promise<{ principal: Principal; subprotocol: boolean }> {
    const auth = this.#o.authenticator;
    if (c.kind === 'request') {
      const r = await auth.authenticateRequest(c.request);
      return { principal: r.principal, subprotocol: r.subprotocol };
    }
    try {
      return {
        principal: await auth.authenticate(c.token, { source: c.source }),
        subprotocol: false,
      };
    } catch (err) {
      // A token the verifier cannot even decode (the JWT layer reports that as
      // RELAY_ERR_INTERNAL) is the caller's fault: 401, not 500.
      const e = toRelayError(err);
      if (e.code === 'RELAY_ERR_INTERNAL') {
        throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'invalid token', { cause: err });
      }
      throw e;
    }
  }
}

class Lease implements AdmissionLease {
  readonly #gate: SessionGate;
  readonly #sessions: SessionManager;
  readonly #admission: Admission;
  readonly #gone: () => boolean;
  readonly principal: Principal;
  readonly config: PipelineConfig;
  readonly subprotocol: boolean;
  #state: 'open' | 'committed' | 'released' = 'open';

  constructor(
    gate: SessionGate,
    sessions: SessionManager,
    admission: Admission,
    principal: Principal,
    config: PipelineConfig,
    subprotocol: boolean,
    gone: () => boolean,
  ) {
    this.#gate = gate;
    this.#sessions = sessions;
    this.#admission = admission;
    this.principal = principal;
    this.config = config;
    this.subprotocol = subprotocol;
    this.#gone = gone;
  }

  get sessionId(): string {
    return this.#admission.sessionId;
  }

  get open(): boolean {
    return this.#state === 'open';
  }

  commit(transport: SessionTransport): SessionHandle {
    if (this.#state !== 'open') {
      throw new RelayError('RELAY_ERR_CLOSED', `admission already ${this.#state}`);
    }
    try {
      if (this.#gone()) {
        throw new RelayError('RELAY_ERR_CLOSED', 'client went away');
      }
      this.#gate.assertOpen();
      const session = this.#sessions.create(
        this.#admission,
        this.config,
        this.principal,
        transport,
      );
      this.#state = 'committed';
      return session;
    } catch (err) {
      this.release();
      throw err;
    }
  }

  release(): void {
    if (this.#state !== 'open') {
      return;
    }
    this.#state = 'released';
    this.#sessions.release(this.#admission);
  }
}
