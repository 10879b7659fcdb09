import { createHmac } from 'node:crypto';
import type { ToolConfig } from '../../config/agent-schema.js';

export const SIGNATURE_HEADER = 'x-relay-signature';
const MAX_RESULT_BYTES = 64 * 1024;

export interface WebhookCall {
  callId: string;
  name: string;
  arguments: unknown;
  sessionId: string;
  turnId: string;
}

/**
 * `t=<epoch ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver recomputes it with
 * the shared secret, compares in constant time and rejects old timestamps (replays).
 */
export function signBody(secret: string, body: string, tsMs: number): string {
  const mac = createHmac('sha256', secret).update(`${tsMs}.${body}`).digest('hex');
  return `t=${tsMs},v1=${mac}`;
}

/** POST the call to the tool's webhook; resolves with the response body (the result). */
export async function callWebhook(
  tool: ToolConfig,
  call: WebhookCall,
  signal: AbortSignal,
): Promise<string> {
  const hook = tool.webhook;
  if (hook === undefined) {
    throw new Error('the tool has no webhook');
  }
  const secret = process.env[hook.secretEnv];
  if (secret === undefined || secret === '') {
    throw new Error(`the webhook secret (${hook.secretEnv}) is not set`);
  }
  const body = JSON.stringify(call);
  const res = await fetch(hook.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signBody(secret, body, Date.now()),
    },
    body,
    signal,
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`the webhook answered HTTP ${res.status}`);
  }
  if (Buffer.byteLength(text) > MAX_RESULT_BYTES) {
    throw new Error(`the webhook result exceeds ${MAX_RESULT_BYTES} bytes`);
  }
  return text;
}
