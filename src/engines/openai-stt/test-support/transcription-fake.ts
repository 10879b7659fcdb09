/**
 * A protocol-faithful OpenAI-compatible transcription fake
 * (`POST /v1/audio/transcriptions`, multipart) on loopback. It checks what
 * OpenAI checks: `Authorization: Bearer`, a `file` with a known extension, a
 * `model`, `response_format` limited to `json` for the gpt-4o transcribe
 * models; it decodes the WAV it was sent. It answers the next scripted
 * transcript as `{text, usage}` JSON, or with `stream=true` (ignored by
 * whisper-1, like OpenAI) as SSE `transcript.text.delta` events word by word
 * and `transcript.text.done`. The `speaches` flavour streams one delta per
 * segment and an empty `done.text`, as speaches does. Faults per request:
 * HTTP errors with OpenAI error bodies, a slow first byte, an `error` event
 * inside the stream, a connection dropped mid-stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeWav } from '../../../media/wav.js';
import { startFakeServer, type FakeServer } from '../../speech-bridge/test-support/fake-server.js';

export type TranscriptionFault =
  | { kind: 'http'; status: number; body: string }
  /** Hold the response headers this long (a slow first byte). */
  | { kind: 'slow'; delayMs: number }
  /** An `error` event after the first delta (streaming requests). */
  | { kind: 'stream-error'; body: string }
  /** Destroy the connection after the first delta. */
  | { kind: 'drop' };

export interface TranscriptionRequest {
  /** Form fields other than the file. */
  readonly fields: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly filename: string;
  readonly sampleRateHz: number;
  /** Duration of the WAV sent. */
  readonly audioMs: number;
  /** Resolves when the client closed the connection before the response ended. */
  readonly aborted: Promise<void>;
}

export interface TranscriptionFake extends FakeServer {
  /** http://127.0.0.1:port/v1 */
  readonly baseUrl: string;
  readonly requests: TranscriptionRequest[];
  /** Faults for the next requests, one per request, in order ('ok' = none). */
  readonly faults: (TranscriptionFault | 'ok')[];
  /** Script the transcripts of the next requests (then empty text). */
  setTranscripts(t: string[]): void;
}

export interface TranscriptionFakeOptions {
  /** Accepted key; undefined accepts any (and none). */
  key?: string;
  /** `openai` (default) or `speaches` streaming. */
  flavour?: 'openai' | 'speaches';
  /** Gap between streamed deltas (default 20 ms). */
  deltaGapMs?: number;
}

const EXTENSIONS = /\.(flac|mp3|mp4|mpeg|mpga|m4a|ogg|wav|webm)$/;

export function openAiError(message: string, type: string, code: string | null = null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

export async function startTranscriptionFake(
  o: TranscriptionFakeOptions = {},
): Promise<TranscriptionFake> {
  const requests: TranscriptionRequest[] = [];
  const faults: (TranscriptionFault | 'ok')[] = [];
  const state = { transcripts: [] as string[] };
  const gap = o.deltaGapMs ?? 20;

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const aborted = new Promise<void>((resolve) => {
      res.on('close', () => {
        if (!res.writableEnded) {
          resolve();
        }
      });
    });
    if (req.method !== 'POST' || req.url !== '/v1/audio/transcriptions') {
      json(res, 404, openAiError('Not found', 'invalid_request_error'));
      return;
    }
    if (o.key !== undefined && req.headers.authorization !== `Bearer ${o.key}`) {
      json(
        res,
        401,
        openAiError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
      );
      return;
    }
    let form: FormData;
    try {
      form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body,
      }).formData();
    } catch {
      json(res, 400, openAiError('Could not parse multipart form', 'invalid_request_error'));
      return;
    }
    const file = form.get('file');
    const fields: Record<string, string> = {};
    for (const [k, v] of form) {
      if (typeof v === 'string') {
        fields[k] = v;
      }
    }
    if (!(file instanceof File) || !EXTENSIONS.test(file.name)) {
      json(res, 400, openAiError('Invalid file format.', 'invalid_request_error'));
      return;
    }
    const model = fields['model'] ?? '';
    if (model === '') {
      json(res, 400, openAiError('you must provide a model parameter', 'invalid_request_error'));
      return;
    }
    const format = fields['response_format'] ?? 'json';
    if (model.includes('4o') && format !== 'json') {
      json(
        res,
        400,
        openAiError(
          `response_format '${format}' is not compatible with model '${model}'. Use 'json'.`,
          'invalid_request_error',
          'unsupported_value',
        ),
      );
      return;
    }
    let audio;
    try {
      audio = decodeWav(Buffer.from(await file.arrayBuffer()));
    } catch {
      json(
        res,
        400,
        openAiError('Audio file might be corrupted or unsupported', 'invalid_request_error'),
      );
      return;
    }
    requests.push({
      fields,
      headers: req.headers,
      filename: file.name,
      sampleRateHz: audio.sampleRateHz,
      audioMs: (audio.data.length / 2 / audio.sampleRateHz) * 1000,
      aborted,
    });
    const fault = faults.shift() ?? 'ok';
    const text = state.transcripts.shift() ?? '';
    if (fault !== 'ok' && fault.kind === 'http') {
      json(res, fault.status, fault.body);
      return;
    }
    if (fault !== 'ok' && fault.kind === 'slow') {
      await sleep(fault.delayMs);
      if (res.destroyed) {
        return;
      }
    }
    const usage = { type: 'tokens', input_tokens: 40, output_tokens: 5, total_tokens: 45 };
    if (fields['stream'] !== 'true' || model === 'whisper-1') {
      json(res, 200, JSON.stringify({ text, usage }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const pieces =
      o.flavour === 'speaches' ? (text === '' ? [] : [` ${text}`]) : text.split(/(?= )/);
    for (const [i, delta] of pieces.entries()) {
      if (res.destroyed) {
        return;
      }
      res.write(`data: ${JSON.stringify({ type: 'transcript.text.delta', delta })}\n\n`);
      if (i === 0 && fault !== 'ok' && fault.kind === 'stream-error') {
        res.end(`data: ${fault.body}\n\n`);
        return;
      }
      if (i === 0 && fault !== 'ok' && fault.kind === 'drop') {
        res.destroy();
        return;
      }
      await sleep(gap);
    }
    const done = { type: 'transcript.text.done', text: o.flavour === 'speaches' ? '' : text };
    res.end(`data: ${JSON.stringify(o.flavour === 'speaches' ? done : { ...done, usage })}\n\n`);
  }

  const server = await startFakeServer({
    refuse: () => ({ status: 404, body: '{}' }),
    accepted: () => undefined,
    http(req, res, body) {
      void handle(req, res, body);
    },
  });
  return {
    ...server,
    baseUrl: `${server.httpUrl}/v1`,
    requests,
    faults,
    setTranscripts(t) {
      state.transcripts = [...t];
    },
  };
}

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
