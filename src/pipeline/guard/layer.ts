import type { AuditLog } from '../../audit/audit-log.js';
import { auditFor, type TurnAudit } from '../../audit/turn-audit.js';
import type { PipelineConfig } from '../../config/pipeline-schema.js';
import type { Metrics } from '../../observability/metrics.js';
import type { TurnStages } from '../../stages/stage-ports.js';
import { guardStages } from './guard-stages.js';

export type { AuditLog };

/**
 * A session's AI-gateway layer around its turn stages: the guard (outermost, so the
 * audit sees what the LLM is sent) and the audit trail, whose `onEvent` takes every
 * event the session sends.
 */
export function gatewayLayer(
  config: PipelineConfig,
  sessionId: string,
  deps: { metrics: Metrics; audit?: AuditLog | undefined },
  inner: TurnStages,
): { stages: TurnStages; audit: TurnAudit | undefined } {
  const audit = auditFor(deps.audit, sessionId, config);
  return { stages: guardStages(config, audit?.stages(inner) ?? inner, deps.metrics), audit };
}
