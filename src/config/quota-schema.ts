import { z } from 'zod';

/** What a tenant's quotas measure, and the names they have in counters, metrics and the gateway. */
export const QUOTA_RESOURCES = ['llm_tokens', 'tts_chars', 'stt_seconds'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export const QUOTA_WINDOWS = { minute: 60_000, day: 86_400_000 } as const;
export type QuotaWindow = keyof typeof QUOTA_WINDOWS;

const limit = z.number().int().positive().optional();

/** One tenant's limits; an absent limit is no limit. */
export const tenantQuotaSchema = z.strictObject({
  /** At the limit: refuse new turns (`error` event), or end the session (close 4029). */
  action: z.enum(['refuse-turns', 'end-session']).default('refuse-turns'),
  /** LLM tokens (prompt + completion, as the engine reports them). */
  llmTokensPerMinute: limit,
  llmTokensPerDay: limit,
  /** Characters of reply text sent to TTS. */
  ttsCharsPerMinute: limit,
  ttsCharsPerDay: limit,
  /** Seconds of caller audio sent to STT. */
  sttSecondsPerMinute: limit,
  sttSecondsPerDay: limit,
});
export type TenantQuota = z.infer<typeof tenantQuotaSchema>;

/** The relay config's `quotas` section. */
export const quotasConfigSchema = z.strictObject({
  /** How often a node re-reads the fleet totals of tenants it has sessions of. */
  refreshMs: z.number().int().min(100).max(60_000).default(1_000),
  /** Limits by tenant name. */
  tenants: z.record(z.string().min(1), tenantQuotaSchema).default({}),
  /** Limits of tenants not listed in `tenants` (absent: unlimited). */
  default: tenantQuotaSchema.optional(),
});
export type QuotasConfig = z.infer<typeof quotasConfigSchema>;

/** The configured limit of `resource` per `window`, if any. */
export function limitOf(
  q: TenantQuota,
  resource: QuotaResource,
  window: QuotaWindow,
): number | undefined {
  const w = window === 'minute' ? 'PerMinute' : 'PerDay';
  switch (resource) {
    case 'llm_tokens':
      return q[`llmTokens${w}`];
    case 'tts_chars':
      return q[`ttsChars${w}`];
    case 'stt_seconds':
      return q[`sttSeconds${w}`];
  }
}

/** The quota of `tenant`: its own entry, else the default, else none. */
export function quotaOf(config: QuotasConfig, tenant: string): TenantQuota | undefined {
  return Object.hasOwn(config.tenants, tenant) ? config.tenants[tenant] : config.default;
}
