import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../core/clock.js';
import type { GenerateResponse__Output } from '../../generated/voicerelay/v1/GenerateResponse.js';
import type { RecognizeResponse__Output } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import type { SynthesizeResponse__Output } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import { startSimServer, type SimServer } from './server.js';
import {
  audioChunks,
  simClients,
  simProfileMetadata,
  StreamRecorder,
  type SimClients,
} from './test-support.js';

let server: SimServer;

beforeAll(async () => {
  server = await startSimServer();
});

afterAll(async () => {
  await server.close();
});

/** Fresh clients (own connection) per test: an injected abort cuts the whole connection. */
async function withClients(fn: (c: SimClients) => Promise<void>): Promise<void> {
  const c = simClients(server.address);
  try {
    await fn(c);
  } finally {
    c.close();
  }
}

const words = 'one two three four five six seven eight';

function generate(c: SimClients, requestId: string, profile: unknown, deadlineMs?: number) {
  const md = simProfileMetadata(profile);
  const req = { requestId, messages: [{ role: 'USER' as const, content: words }] };
  const call =
    deadlineMs === undefined
      ? c.llm.Generate(req, md)
      : c.llm.Generate(req, md, { deadline: Date.now() + deadlineMs });
  return new StreamRecorder<GenerateResponse__Output>(call);
}

function recognize(c: SimClients, requestId: string, profile: unknown, deadlineMs?: number) {
  const md = simProfileMetadata(profile);
  const call =
    deadlineMs === undefined
      ? c.stt.Recognize(md)
      : c.stt.Recognize(md, { deadline: Date.now() + deadlineMs });
  const rec = new StreamRecorder<RecognizeResponse__Output>(call);
  call.write({ requestId, config: { encoding: 'LINEAR16', sampleRateHz: 16000 } });
  return { call, rec };
}

describe('sim fault injection', () => {
  it('a stall until the deadline gives DEADLINE_EXCEEDED and the server observes the cancellation (LLM)', () =>
    withClients(async (c) => {
      const observed = server.llm.waitFor('call-cancelled', (e) => e.requestId === 'stall-llm');
      const rec = generate(c, 'stall-llm', { faults: { stallBeforeFirstMs: 'Infinity' } }, 300);
      expect((await rec.done()).code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
      expect(rec.messages).toHaveLength(0);
      expect((await observed).via).toBe('deadline');
    }));

  it('a stall until the deadline gives DEADLINE_EXCEEDED and the server observes the cancellation (STT)', () =>
    withClients(async (c) => {
      const ended = server.stt.waitFor('call-ended', (e) => e.requestId === 'stall-stt');
      const { call, rec } = recognize(
        c,
        'stall-stt',
        { faults: { stallBeforeFirstMs: 'Infinity' } },
        300,
      );
      for (const audio of audioChunks([['voice', 400]])) {
        call.write({ audio });
      }
      expect((await rec.done()).code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
      expect(rec.messages).toHaveLength(0);
      expect((await ended).outcome).toBe('cancelled');
    }));

  it('a finite stall holds the first response back', () =>
    withClients(async (c) => {
      const startMs = nowMs();
      const rec = generate(c, 'stall-300', { ttftMs: 0, faults: { stallBeforeFirstMs: 300 } });
      const first = await rec.next(() => true);
      expect(first.atMs - startMs).toBeGreaterThanOrEqual(300);
      expect((await rec.done()).code).toBe(GrpcStatus.OK);
      const sttStartMs = nowMs();
      const { call, rec: stt } = recognize(c, 'stall-stt-300', {
        faults: { stallBeforeFirstMs: 300 },
      });
      const ready = await stt.next((m) => m.kind === 'ready');
      expect(ready.atMs - sttStartMs).toBeGreaterThanOrEqual(300);
      call.end();
      expect((await stt.done()).code).toBe(GrpcStatus.OK);
    }));

  it('errorAfterMessages sends N messages, then fails with the configured status', () =>
    withClients(async (c) => {
      const failedBefore = server.llm.stats.failed;
      const rec = generate(c, 'err-llm', {
        ttftMs: 0,
        interTokenMs: 0,
        faults: { errorAfterMessages: 3 },
      });
      const status = await rec.done();
      expect(status.code).toBe(GrpcStatus.INTERNAL);
      expect(rec.messages).toHaveLength(3);
      expect(server.llm.stats.failed).toBe(failedBefore + 1);
      const { call, rec: stt } = recognize(c, 'err-stt', {
        faults: { errorAfterMessages: 2, errorCode: 'UNAVAILABLE' },
      });
      for (const audio of audioChunks([
        ['voice', 400],
        ['silence', 600],
      ])) {
        call.write({ audio });
      }
      expect((await stt.done()).code).toBe(GrpcStatus.UNAVAILABLE);
      expect(stt.messages.map((m) => m.kind)).toEqual(['ready', 'speechEvent']);
      const zero = generate(c, 'err-zero', { faults: { errorAfterMessages: 0, errorCode: 13 } });
      expect((await zero.done()).code).toBe(GrpcStatus.INTERNAL);
      expect(zero.messages).toHaveLength(0);
    }));

  it('abortAfterMessages sends N messages, then cuts the connection', () =>
    withClients(async (c) => {
      const ended = server.llm.waitFor('call-ended', (e) => e.requestId === 'abort-llm');
      const rec = generate(c, 'abort-llm', {
        ttftMs: 0,
        interTokenMs: 5,
        faults: { abortAfterMessages: 2 },
      });
      const status = await rec.done();
      expect([GrpcStatus.UNAVAILABLE, GrpcStatus.INTERNAL]).toContain(status.code);
      expect(rec.messages).toHaveLength(2);
      expect((await ended).outcome).toBe('aborted');
      expect(server.llm.stats.aborted).toBeGreaterThanOrEqual(1);
    }));

  it('abortAfterMessages works on bidi streams and leaves other connections alone', () =>
    withClients(async (c) => {
      const bystander = simClients(server.address);
      try {
        const other = generate(bystander, 'bystander', { ttftMs: 300 });
        const call = c.tts.Synthesize(
          simProfileMetadata({ firstAudioMs: 0, faults: { abortAfterMessages: 1 } }),
        );
        const rec = new StreamRecorder<SynthesizeResponse__Output>(call);
        call.write({
          requestId: 'abort-tts',
          config: { encoding: 'LINEAR16', sampleRateHz: 16000 },
        });
        call.write({ text: { text: 'Some words to speak. ' } });
        const status = await rec.done();
        expect([GrpcStatus.UNAVAILABLE, GrpcStatus.INTERNAL]).toContain(status.code);
        expect(rec.messages.map((m) => m.kind)).toEqual(['audio']);
        expect((await other.done()).code).toBe(GrpcStatus.OK);
      } finally {
        bystander.close();
      }
    }));

  it('rejects an invalid x-sim-profile with INVALID_ARGUMENT', () =>
    withClients(async (c) => {
      for (const bad of [
        '{not json',
        '[1]',
        '{"ttftMs": -1}',
        '{"unknownKnob": 1}',
        '{"faults": {"errorCode": "NOPE"}}',
      ]) {
        expect((await generate(c, 'bad-profile', bad).done()).code).toBe(
          GrpcStatus.INVALID_ARGUMENT,
        );
      }
      const { rec } = recognize(c, 'bad-stt', '{"energyThresholdDbfs": 3}');
      expect((await rec.done()).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    }));

  it('accepts per-engine sections in x-sim-profile', () =>
    withClients(async (c) => {
      const rec = generate(c, 'sections', {
        stt: { finalDelayMs: 0 },
        llm: { mode: 'scripted', script: ['From the section.'], ttftMs: 0 },
      });
      await rec.done();
      expect(rec.messages.map((m) => m.delta?.text ?? '').join('')).toBe('From the section.');
    }));
});
