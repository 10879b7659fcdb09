/**
 * How a carrier call is admitted: either at the upgrade (a relay credential in the path, so
 * the lease exists before the first message) or at the carrier's start message, whose
 * parameters (or a mapping, or the service token) bring the relay credential.
 */
import type { AdmissionGate, AdmissionLease } from '../../ports.js';
import { RelayError } from '../../../errors/errors.js';
import type { StartEvent } from '../types.js';

/** The session's principal and pipeline were settled at the upgrade (a path token). */
export interface ReadyAuth {
  kind: 'ready';
  lease: AdmissionLease;
}

/** The carrier credential passed; the relay credential comes with the start message. */
export interface DeferredAuth {
  kind: 'deferred';
  /** `?pipeline=` of the upgrade URL, if any. */
  pipeline: string | undefined;
  /** The carrier's configured pipeline (before the module default). */
  carrierPipeline: string | undefined;
  /** The relay credential for this start, if any (custom `token`, mapping, service token). */
  credential(start: StartEvent): string | undefined | Promise<string | undefined>;
}

/**
 * Admit a deferred call at its start: the relay credential it carries, then the one gate
 * (pipeline: the upgrade's `?pipeline=`, the start's `pipeline` parameter, the carrier's,
 * else the module default).
 */
export async function admitDeferred(
  gate: AdmissionGate,
  auth: DeferredAuth,
  start: StartEvent,
  o: { defaultPipeline: string; gone: () => boolean },
): Promise<AdmissionLease> {
  const token = await auth.credential(start);
  if (token === undefined || token === '') {
    throw new RelayError('RELAY_ERR_UNAUTHENTICATED', 'the call carries no relay credential');
  }
  return gate.admit({
    credential: { kind: 'token', token, source: 'authorization' },
    pipeline:
      auth.pipeline ??
      start.customParameters['pipeline'] ??
      auth.carrierPipeline ??
      o.defaultPipeline,
    gone: o.gone,
  });
}
