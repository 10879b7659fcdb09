import {
  QUOTA_RESOURCES,
  QUOTA_WINDOWS,
  limitOf,
  type QuotaResource,
  type QuotaWindow,
  type TenantQuota,
} from '../config/quota-schema.js';
import type { StateStore } from './types.js';

/** A limit that is reached: `used` ≥ `limit` in the current `window`. */
export interface QuotaExceeded {
  resource: QuotaResource;
  window: QuotaWindow;
  limit: number;
  used: number;
}

export interface UsageWindow {
  used: number;
  /** Absent: no limit on this window. */
  limit?: number;
  /** When the window ends (ms since the epoch, store clock). */
  resetAtMs: number;
}

/** A tenant's usage in its current windows, as the gateway reports it. */
export interface TenantUsage {
  tenant: string;
  action: TenantQuota['action'] | 'none';
  usage: Record<QuotaResource, Record<QuotaWindow, UsageWindow>>;
  /** The first limit reached (resources in QUOTA_RESOURCES order, minute before day). */
  exceeded?: QuotaExceeded;
}

const WINDOWS = Object.keys(QUOTA_WINDOWS) as QuotaWindow[];

/** The counter key of a tenant's resource (the store appends the window). */
export function usageKey(tenant: string, resource: QuotaResource): string {
  return `quota:${tenant}:${resource}`;
}

/**
 * Add `amounts` to the tenant's counters (every resource and window, fleet-wide in the
 * store; 0 = read only) and report the totals against `quota` (none: unlimited).
 */
export async function countTenantUsage(
  store: StateStore,
  tenant: string,
  quota: TenantQuota | undefined,
  amounts: Partial<Record<QuotaResource, number>> = {},
): Promise<TenantUsage> {
  const slots = QUOTA_RESOURCES.flatMap((resource) =>
    WINDOWS.map((window) => ({ resource, window })),
  );
  const counted = await store.addUsage(
    slots.map(({ resource, window }) => ({
      key: usageKey(tenant, resource),
      amount: Math.max(0, Math.round(amounts[resource] ?? 0)),
      windowMs: QUOTA_WINDOWS[window],
    })),
  );
  const usage = {} as TenantUsage['usage'];
  let exceeded: QuotaExceeded | undefined;
  slots.forEach(({ resource, window }, i) => {
    const used = counted.totals[i] ?? 0;
    const windowMs = QUOTA_WINDOWS[window];
    const limit = quota === undefined ? undefined : limitOf(quota, resource, window);
    const resetAtMs = (Math.floor(counted.nowMs / windowMs) + 1) * windowMs;
    (usage[resource] ??= {} as Record<QuotaWindow, UsageWindow>)[window] = {
      used,
      ...(limit === undefined ? {} : { limit }),
      resetAtMs,
    };
    if (limit !== undefined && used >= limit && exceeded === undefined) {
      exceeded = { resource, window, limit, used };
    }
  });
  return {
    tenant,
    action: quota?.action ?? 'none',
    usage,
    ...(exceeded === undefined ? {} : { exceeded }),
  };
}
