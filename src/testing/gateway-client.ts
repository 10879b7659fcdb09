import { TEST_ADMIN_KEY } from './relay-harness.js';

/** Small typed helpers over a gateway's REST API, for tests over real sockets. */

export const ADMIN_HEADERS = { authorization: `Bearer ${TEST_ADMIN_KEY}` } as const;

export interface CreatedKey {
  key: string;
  keyId: string;
}

async function postJson(url: string, bearer: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function expectOk<T>(res: Response, what: string): Promise<T> {
  if (!res.ok) {
    throw new Error(`${what}: ${res.status} ${await res.text()}`);
  }
  return (await res.json()) as T;
}

/** `POST /v1/keys` as admin. */
export async function createApiKey(
  gatewayUrl: string,
  body: { tenant: string; scopes?: string[]; pipelines?: string[] | '*'; maxSessions?: number },
): Promise<CreatedKey> {
  const res = await postJson(`${gatewayUrl}/v1/keys`, TEST_ADMIN_KEY, body);
  return expectOk<CreatedKey>(res, 'create key');
}

/** `POST /v1/tokens` with any bearer (admin key or a client credential). */
export async function mintToken(
  gatewayUrl: string,
  bearer: string,
  body: Record<string, unknown>,
): Promise<string> {
  const res = await postJson(`${gatewayUrl}/v1/tokens`, bearer, body);
  return (await expectOk<{ token: string }>(res, 'mint token')).token;
}

/** The status of a promise that should be an upgrade refusal (0 when it connected). */
export async function refusalOf(
  connecting: Promise<{ close(): Promise<unknown> }>,
): Promise<{ status: number; code: string | undefined }> {
  return connecting.then(
    async (c) => {
      await c.close();
      return { status: 0, code: undefined };
    },
    (e: { status?: number; body?: { error?: { code?: string } } }) => ({
      status: e.status ?? -1,
      code: e.body?.error?.code,
    }),
  );
}

/** Poll until `fn` gives a value (bounded), instead of sleeping. */
export async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise<void>((r) => setTimeout(r, 25));
  }
}
