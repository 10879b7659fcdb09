import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

interface HealthCheckMethod {
  path: string;
  requestSerialize: (value: { service: string }) => Buffer;
  responseDeserialize: (bytes: Buffer) => { status?: string };
}

const CHECK = healthService['Check'] as unknown as HealthCheckMethod;

export interface HealthTarget {
  endpoint: string;
  /** The gRPC target to dial. */
  target: string;
}

export interface HealthCheckerOptions {
  /** The service name asked about (e.g. `voicerelay.v1.LanguageModel`). */
  service: string;
  intervalMs: number;
  timeoutMs: number;
  unhealthyAfter: number;
  healthyAfter: number;
  /** Called when an endpoint's health changes (after the thresholds). */
  onChange(endpoint: string, healthy: boolean): void;
}

interface Probe {
  readonly t: HealthTarget;
  client: Client | undefined;
  healthy: boolean;
  streak: number;
  busy: boolean;
}

/**
 * grpc.health.v1 `Check` polling of a stage's endpoints: one timer per pool (not per
 * session), one check per endpoint in flight at most. An endpoint whose checks fail or
 * answer anything but SERVING `unhealthyAfter` times in a row is reported unhealthy;
 * `healthyAfter` SERVING answers bring it back.
 */
export class HealthChecker {
  readonly #o: HealthCheckerOptions;
  readonly #probes: Probe[];
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(targets: readonly HealthTarget[], options: HealthCheckerOptions) {
    this.#o = options;
    this.#probes = targets.map((t) => ({
      t,
      client: undefined,
      healthy: true,
      streak: 0,
      busy: false,
    }));
    this.#timer = setInterval(() => this.checkAll(), options.intervalMs);
    this.#timer.unref();
    this.checkAll();
  }

  /** Run one round of checks now (each endpoint not already being checked). */
  checkAll(): void {
    for (const p of this.#probes) {
      if (!p.busy && !this.#closed) {
        this.#check(p);
      }
    }
  }

  #check(p: Probe): void {
    p.busy = true;
    p.client ??= new Client(p.t.target, credentials.createInsecure());
    p.client.makeUnaryRequest(
      CHECK.path,
      CHECK.requestSerialize,
      CHECK.responseDeserialize,
      { service: this.#o.service },
      { deadline: Date.now() + this.#o.timeoutMs },
      (err: ServiceError | null, res?: { status?: string }) => {
        p.busy = false;
        if (this.#closed) {
          return;
        }
        this.#result(p, err === null && res?.status === 'SERVING');
      },
    );
  }

  #result(p: Probe, ok: boolean): void {
    if (ok === p.healthy) {
      p.streak = 0;
      return;
    }
    p.streak++;
    if (p.streak >= (ok ? this.#o.healthyAfter : this.#o.unhealthyAfter)) {
      p.healthy = ok;
      p.streak = 0;
      this.#o.onChange(p.t.endpoint, ok);
    }
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearInterval(this.#timer);
    for (const p of this.#probes) {
      p.client?.close();
    }
  }
}
