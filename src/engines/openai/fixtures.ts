/**
 * Recorded-style Chat Completions SSE streams (the shape api.openai.com sends
 * with stream_options.include_usage) and a local HTTP server replaying them,
 * for tests of the OpenAI-compatible bridge.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const BASE = {
  id: 'chatcmpl-AXf3kQ2b7Rj1LZ9vC0mE8pN4sT6uW',
  object: 'chat.completion.chunk',
  created: 1763913600,
  model: 'gpt-4o-mini-2024-07-18',
  service_tier: 'default',
  system_fingerprint: 'fp_560af6e559',
};

export function sseEvent(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

export function chunkEvent(
  delta: Record<string, unknown>,
  finishReason: string | null = null,
): string {
  return sseEvent({
    ...BASE,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  });
}

export function usageEvent(prompt: number, completion: number): string {
  return sseEvent({
    ...BASE,
    choices: [],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
  });
}

export const HELLO_TOKENS = ['Hello', '!', ' How', ' can', ' I', ' help', ' you', ' today', '?'];

/** The whole stream of a short reply: role delta, content deltas, finish, usage, [DONE]. */
export function helloStream(tokens: readonly string[] = HELLO_TOKENS): string[] {
  return [
    chunkEvent({ role: 'assistant', content: '', refusal: null }),
    ...tokens.map((t) => chunkEvent({ content: t })),
    chunkEvent({}, 'stop'),
    usageEvent(19, tokens.length),
    sseEvent('[DONE]'),
  ];
}

export const INVALID_KEY_BODY = JSON.stringify({
  error: {
    message:
      'Incorrect API key provided: sk-test*******************1234. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  },
});

export const UNSUPPORTED_MAX_TOKENS_BODY = JSON.stringify({
  error: {
    message:
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    type: 'invalid_request_error',
    param: 'max_tokens',
    code: 'unsupported_parameter',
  },
});

export const RATE_LIMIT_BODY = JSON.stringify({
  error: {
    message:
      'Rate limit reached for gpt-4o-mini in organization org-test on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
  },
});

export const SERVER_ERROR_BODY = JSON.stringify({
  error: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    param: null,
    code: null,
  },
});

export interface RecordedRequest {
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** The client's port: equal across requests when the connection was reused. */
  remotePort: number | undefined;
  /** Resolves when the request's connection closed before the response ended (client abort). */
  aborted: Promise<void>;
}

export type FixtureHandler = (
  req: RecordedRequest,
  res: ServerResponse,
  index: number,
) => void | Promise<void>;

export interface FixtureServer {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  handler: FixtureHandler;
  close(): Promise<void>;
}

/** A local HTTP server at 127.0.0.1:0 answering POST /v1/chat/completions with `handler`. */
export async function startFixtureServer(): Promise<FixtureServer> {
  const requests: RecordedRequest[] = [];
  const state: { handler: FixtureHandler } = {
    handler: (_req, res) => {
      res.writeHead(500).end();
    },
  };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const aborted = new Promise<void>((resolve) => {
        res.on('close', () => {
          if (!res.writableEnded) {
            resolve();
          }
        });
      });
      const recorded: RecordedRequest = {
        body: JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown>,
        headers: req.headers,
        remotePort: req.socket.remotePort,
        aborted,
      };
      requests.push(recorded);
      void state.handler(recorded, res, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get handler() {
      return state.handler;
    },
    set handler(h: FixtureHandler) {
      state.handler = h;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Start an SSE response and write `events` one write each. */
export function writeSse(res: ServerResponse, events: readonly string[], end = true): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  for (const e of events) {
    res.write(e);
  }
  if (end) {
    res.end();
  }
}

export function writeJsonError(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}
