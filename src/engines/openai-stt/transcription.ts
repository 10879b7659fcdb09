import { status as GrpcStatus } from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import { SseParser } from '../openai/sse.js';
import {
  grpcCodeForHttp,
  grpcCodeForStreamError,
  providerMessage,
  UpstreamError,
} from '../openai/upstream.js';

/** One `POST {baseUrl}/audio/transcriptions` of a WAV file. */
export interface TranscriptionRequest {
  baseUrl: string;
  key: string | undefined;
  /** Form fields sent next to the file (model, language, stream, ...). */
  fields: readonly [string, string][];
  wav: Buffer;
  fileName: string;
  signal: AbortSignal;
  /** Every delta of a streamed answer, with the text so far (untrimmed). */
  onDelta(textSoFar: string): void;
  /** The server time of the first delta or done event. */
  onResult(ts: number): void;
}

/**
 * Posts the file and returns the transcript: from the SSE answer (`done.text`, else the
 * deltas joined), a `{text}` JSON answer or a plain text one. HTTP errors and in-stream
 * error events throw UpstreamError with the gRPC status and the provider's message.
 */
export async function requestTranscription(req: TranscriptionRequest): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([req.wav], { type: 'audio/wav' }), req.fileName);
  for (const [k, v] of req.fields) {
    form.append(k, v);
  }
  const headers: Record<string, string> = {};
  if (req.key !== undefined) {
    headers['authorization'] = `Bearer ${req.key}`;
  }
  const res = await fetch(`${req.baseUrl}/audio/transcriptions`, {
    method: 'POST',
    headers,
    body: form,
    signal: req.signal,
  });
  if (!res.ok || res.body === null) {
    const text = await res.text().catch(() => '');
    throw new UpstreamError(
      grpcCodeForHttp(res.status),
      `upstream HTTP ${res.status}: ${providerMessage(text)}`,
    );
  }
  const contentType = res.headers.get('content-type') ?? '';
  if (contentType.includes('text/event-stream')) {
    return readStream(res.body, req);
  }
  return transcriptOf(await res.text(), contentType);
}

/** The SSE answer: deltas are reported; the text is `done.text`, else the deltas joined. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  req: TranscriptionRequest,
): Promise<string> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let deltas = '';
  let done: string | undefined;
  const onEvent = (data: string): void => {
    if (data === '[DONE]') {
      return;
    }
    let msg: { type?: unknown; delta?: unknown; text?: unknown; error?: unknown };
    try {
      msg = JSON.parse(data) as typeof msg;
    } catch {
      throw new UpstreamError(
        GrpcStatus.INTERNAL,
        `upstream sent invalid JSON: ${data.slice(0, 200)}`,
      );
    }
    if (msg.error !== undefined || msg.type === 'error') {
      throw new UpstreamError(
        grpcCodeForStreamError(data),
        `upstream error: ${providerMessage(data)}`,
      );
    }
    if (msg.type === 'transcript.text.delta' && typeof msg.delta === 'string') {
      deltas += msg.delta;
      req.onResult(nowMs());
      req.onDelta(deltas);
    } else if (msg.type === 'transcript.text.done' && typeof msg.text === 'string') {
      done = msg.text;
      req.onResult(nowMs());
    }
  };
  for await (const part of body as unknown as AsyncIterable<Uint8Array>) {
    for (const data of parser.push(decoder.decode(part, { stream: true }))) {
      onEvent(data);
    }
  }
  for (const data of parser.end()) {
    onEvent(data);
  }
  return done !== undefined && done.trim() !== '' ? done : deltas;
}

/** The text of a non-streamed answer: `{text}` JSON (json, verbose_json) or plain text. */
function transcriptOf(body: string, contentType: string): string {
  if (contentType.includes('json')) {
    try {
      const parsed = JSON.parse(body) as { text?: unknown };
      if (typeof parsed.text === 'string') {
        return parsed.text;
      }
    } catch {
      // fall through: not JSON after all
    }
    throw new UpstreamError(
      GrpcStatus.INTERNAL,
      `upstream answered without a text field: ${body.slice(0, 200)}`,
    );
  }
  return body;
}
