import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';
import {
  chatCompletionsBody,
  grpcCodeForHttp,
  isRetryableHttp,
  providerMessage,
  retryAfterMs,
} from './upstream.js';

describe('SseParser', () => {
  it('joins events split anywhere, with LF, CRLF or CR line ends', () => {
    const text =
      'data: {"a":1}\r\n\r\n: comment\nevent: x\ndata: line1\ndata: line2\n\ndata: [DONE]\r\r';
    for (const step of [1, 3, 5, text.length]) {
      const p = new SseParser();
      const out: string[] = [];
      for (let i = 0; i < text.length; i += step) {
        out.push(...p.push(text.slice(i, i + step)));
      }
      out.push(...p.end());
      expect(out).toEqual(['{"a":1}', 'line1\nline2', '[DONE]']);
    }
  });

  it('dispatches a last event without its blank line at the end', () => {
    const p = new SseParser();
    expect(p.push('data: x')).toEqual([]);
    expect(p.end()).toEqual(['x']);
  });
});

describe('upstream helpers', () => {
  it('maps HTTP statuses to gRPC codes and retryability', () => {
    expect(grpcCodeForHttp(400)).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(grpcCodeForHttp(401)).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(grpcCodeForHttp(403)).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(grpcCodeForHttp(404)).toBe(GrpcStatus.NOT_FOUND);
    expect(grpcCodeForHttp(429)).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(grpcCodeForHttp(502)).toBe(GrpcStatus.UNAVAILABLE);
    expect([429, 500, 503, 400, 401, 404].map(isRetryableHttp)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('keeps the provider message of OpenAI-style and plain error bodies', () => {
    expect(
      providerMessage(
        '{"error":{"message":"bad model","type":"invalid_request_error","code":"model_not_found"}}',
      ),
    ).toBe('bad model (invalid_request_error/model_not_found)');
    expect(providerMessage('{"error":"overloaded"}')).toBe('overloaded');
    expect(providerMessage('upstream connect error')).toBe('upstream connect error');
  });

  it('reads retry-after-ms, Retry-After seconds and dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '120' }))).toBe(120);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('Sun, 23 Nov 2026 10:00:00 GMT');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sun, 23 Nov 2026 10:00:03 GMT' }), now)).toBe(
      3000,
    );
    expect(retryAfterMs(new Headers({}))).toBeUndefined();
  });

  it('builds the request: roles, params, extras that never override the core fields', () => {
    const body = chatCompletionsBody(
      {
        requestId: 'r',
        turnId: 't',
        sessionId: 's',
        messages: [
          { role: 'ASSISTANT', content: 'a', toolCalls: [], toolCallId: '' },
          { role: 'ROLE_UNSPECIFIED', content: 'b', toolCalls: [], toolCallId: '' },
        ],
        tools: [],
        params: {
          model: '',
          temperature: 0.699999988079071,
          maxTokens: 0,
          topP: 0.8999999761581421,
          stop: [],
          extra: { seed: '7', stream: 'false', reasoning_effort: 'low' },
        },
      },
      'default-model',
    );
    expect(body).toEqual({
      seed: 7,
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
      model: 'default-model',
      messages: [
        { role: 'assistant', content: 'a' },
        { role: 'user', content: 'b' },
      ],
      temperature: 0.7,
      top_p: 0.9,
    });
  });
});
