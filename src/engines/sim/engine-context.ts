import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  mergeProfile,
  profileForCall,
  validateOverride,
  type ProfileOverride,
  type SimEngineKind,
  type SimProfiles,
} from './profiles.js';
import { SimCall, type SimServerCall } from './sim-call.js';
import { SimMonitor, type SimMonitorSink } from './sim-monitor.js';

/** One engine of a sim server: its profile, monitor and the hooks its calls need. */
export class EngineContext<K extends SimEngineKind> {
  readonly kind: K;
  readonly monitor: SimMonitor;
  readonly #initial: SimProfiles[K];
  readonly #abortPeer: (peer: string) => boolean;
  #profile: SimProfiles[K];

  constructor(
    kind: K,
    profile: SimProfiles[K],
    abortPeer: (peer: string) => boolean,
    sink?: SimMonitorSink,
  ) {
    this.kind = kind;
    this.#initial = profile;
    this.#profile = profile;
    this.#abortPeer = abortPeer;
    this.monitor = new SimMonitor(kind, sink);
  }

  /** The profile new calls start from (before their x-sim-profile metadata). */
  get profile(): SimProfiles[K] {
    return this.#profile;
  }

  /** Replace the server-level overrides: later calls use the start profile with `override` applied. */
  setProfile(override: ProfileOverride<SimProfiles[K]> = {}): void {
    this.#profile = mergeProfile(this.#initial, validateOverride(this.kind, override));
  }

  /**
   * Start serving a call: resolve its profile (INVALID_ARGUMENT on a bad
   * x-sim-profile) and arm its faults. Undefined when the call was refused.
   */
  open<Req, Res>(
    method: string,
    call: SimServerCall<Req, Res>,
    requestId?: string,
  ): { sim: SimCall<Req, Res>; profile: SimProfiles[K] } | undefined {
    const sim = new SimCall<Req, Res>({
      engine: this.kind,
      method,
      call,
      monitor: this.monitor,
      abortPeer: this.#abortPeer,
    });
    if (requestId !== undefined) {
      sim.identify(requestId);
    }
    let profile: SimProfiles[K];
    try {
      profile = profileForCall(this.kind, this.#profile, call.metadata);
    } catch (err) {
      sim.fail(GrpcStatus.INVALID_ARGUMENT, err instanceof Error ? err.message : String(err));
      return undefined;
    }
    sim.arm(profile.faults);
    return { sim, profile };
  }
}
