import type { PipelineConfig } from '../../config/pipeline-schema.js';

type ModerationConfig = NonNullable<PipelineConfig['guard']['moderation']>;

export type ModerationVerdict =
  | { kind: 'allowed' }
  | { kind: 'flagged'; categories: string[] }
  | { kind: 'error'; reason: string };

interface ModerationResponse {
  results?: { flagged?: unknown; categories?: Record<string, unknown> }[];
}

/**
 * Ask an OpenAI-compatible moderation endpoint (`POST <url>/moderations`, body
 * `{model, input}`) about one text. Never throws: a failure or a late answer is an
 * `error` verdict, and the pipeline's `onError` decides.
 */
export async function moderate(
  cfg: ModerationConfig,
  input: string,
  signal: AbortSignal,
): Promise<ModerationVerdict> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = cfg.apiKeyEnv === undefined ? undefined : process.env[cfg.apiKeyEnv];
  if (key !== undefined && key !== '') {
    headers['authorization'] = `Bearer ${key}`;
  }
  try {
    const res = await fetch(`${cfg.url.replace(/\/+$/, '')}/moderations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: cfg.model, input }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(cfg.timeoutMs)]),
    });
    if (!res.ok) {
      return { kind: 'error', reason: `HTTP ${res.status}` };
    }
    const body = (await res.json()) as ModerationResponse;
    const results = Array.isArray(body.results) ? body.results : [];
    if (results.length === 0) {
      return { kind: 'error', reason: 'no results' };
    }
    const flagged = results.filter((r) => r.flagged === true);
    if (flagged.length === 0) {
      return { kind: 'allowed' };
    }
    const categories = flagged.flatMap((r) =>
      Object.entries(r.categories ?? {})
        .filter(([, v]) => v === true)
        .map(([k]) => k),
    );
    return { kind: 'flagged', categories };
  } catch (err) {
    return { kind: 'error', reason: err instanceof Error ? err.name : 'failed' };
  }
}
