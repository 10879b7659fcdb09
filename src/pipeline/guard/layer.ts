import type { AuditLog } from '../../audit/audit-log.js';
import { auditFor, type TurnAudit } from '../../audit/turn-audit.js';
import type { PipelineConfig } from '../../config/pipeline-schema.js';
import type { Metrics } from '../../observability/metrics.js';
import type { TurnStages } from '../../stages/stage-ports.js';
import type { SessionQuota } from '../../quota/session-quota.js';
import { guardStages } from './guard-stages.js';

export type { AuditLog, SessionQuota };

/**
 * A session's AI-gateway layer around its turn stages: the guard (outermost, so the
 * audit sees what the LLM is sent), the audit trail, whose `onEvent` takes every event
 * the session sends, and (innermost, counting what the stages are sent) the tenant's
 * quota meter when the tenant has quotas (README "Quotas").
 */
export function gatewayLayer(
  config: PipelineConfig,
  session: {
    sessionId: string;
    deps: { metrics: Metrics; audit?: AuditLog | undefined };
    quota?: SessionQuota | undefined;
  },
  stages: TurnStages,
): { stages: TurnStages; audit: TurnAudit | undefined } {
  const { sessionId, deps } = session;
  const inner = session.quota?.stages(stages) ?? stages;
  const audit = auditFor(deps.audit, sessionId, config);
  return { stages: guardStages(config, audit?.stages(inner) ?? inner, deps.metrics), audit };
}
