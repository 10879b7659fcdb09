import { Client, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { describe, expect, it } from 'vitest';
import type { GenerateResponse__Output } from '../../generated/voicerelay/v1/GenerateResponse.js';
import type { RecognizeResponse__Output } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { ProfileError } from './profiles.js';
import { SIM_SERVICE_NAMES, startSimServer, waitForSimEvent } from './server.js';
import { simClients, simProfileMetadata, StreamRecorder } from './test-support.js';

interface HealthMethod {
  path: string;
  requestSerialize: (value: { service: string }) => Buffer;
  responseDeserialize: (bytes: Buffer) => { status: string };
}

function checkHealth(address: string, service: string): Promise<string> {
  const method = healthService['Check'] as unknown as HealthMethod;
  const client = new Client(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { service },
      (err: ServiceError | null, res?: { status: string }) => {
        client.close();
        if (err !== null) {
          reject(err);
        } else {
          resolve(res?.status ?? '');
        }
      },
    );
  });
}

describe('startSimServer', () => {
  it('serves grpc.health.v1: SERVING for the server and each hosted service', async () => {
    const server = await startSimServer();
    try {
      expect(server.address).toBe(`127.0.0.1:${server.port}`);
      for (const name of ['', ...Object.values(SIM_SERVICE_NAMES)]) {
        expect(await checkHealth(server.address, name)).toBe('SERVING');
      }
    } finally {
      await server.close();
    }
  });

  it('can host a single engine', async () => {
    const server = await startSimServer({ engines: ['llm'] });
    const clients = simClients(server.address);
    try {
      expect([server.stt.hosted, server.llm.hosted, server.tts.hosted]).toEqual([
        false,
        true,
        false,
      ]);
      await expect(checkHealth(server.address, SIM_SERVICE_NAMES.stt)).rejects.toMatchObject({
        code: GrpcStatus.NOT_FOUND,
      });
      const stt = new StreamRecorder<RecognizeResponse__Output>(clients.stt.Recognize());
      expect((await stt.done()).code).toBe(GrpcStatus.UNIMPLEMENTED);
      const llm = new StreamRecorder<GenerateResponse__Output>(
        clients.llm.Generate({ requestId: 'one', messages: [{ role: 'USER', content: 'hi' }] }),
      );
      expect((await llm.done()).code).toBe(GrpcStatus.OK);
    } finally {
      clients.close();
      await server.close();
    }
  });

  it('applies server-level profiles, setProfile and per-call metadata, in that order', async () => {
    const server = await startSimServer({
      llm: { mode: 'scripted', script: ['Server level.'], ttftMs: 0 },
    });
    const clients = simClients(server.address);
    const reply = async (metadata?: unknown): Promise<string> => {
      const req = { requestId: 'p', messages: [{ role: 'USER' as const, content: 'hi' }] };
      const call =
        metadata === undefined
          ? clients.llm.Generate(req)
          : clients.llm.Generate(req, simProfileMetadata(metadata));
      const rec = new StreamRecorder<GenerateResponse__Output>(call);
      await rec.done();
      return rec.messages.map((m) => m.delta?.text ?? '').join('');
    };
    try {
      expect(await reply()).toBe('Server level.');
      server.llm.setProfile({ script: ['Set at runtime.'] });
      expect(server.llm.profile.script).toEqual(['Set at runtime.']);
      expect(await reply()).toBe('Set at runtime.');
      expect(await reply({ script: ['Per call.'] })).toBe('Per call.');
      server.llm.setProfile();
      expect(await reply()).toBe('Server level.');
      expect(() => server.llm.setProfile({ ttftMs: -5 })).toThrow(ProfileError);
    } finally {
      clients.close();
      await server.close();
    }
  });

  it('rejects invalid start profiles', async () => {
    await expect(startSimServer({ tts: { chunkMs: 0 } })).rejects.toThrow(ProfileError);
  });

  it('aggregates stats and events over engines', async () => {
    const server = await startSimServer();
    const clients = simClients(server.address);
    try {
      const ended = waitForSimEvent(server, 'call-ended', (e) => e.engine === 'llm');
      const rec = new StreamRecorder<GenerateResponse__Output>(
        clients.llm.Generate({ requestId: 'agg', messages: [] }, simProfileMetadata({ ttftMs: 0 })),
      );
      await rec.done();
      const event = await ended;
      expect(event).toMatchObject({
        engine: 'llm',
        method: 'Generate',
        requestId: 'agg',
        outcome: 'ok',
      });
      expect(event.messagesSent).toBe(5);
      expect(server.stats.snapshot()).toMatchObject({ started: 1, completed: 1, active: 0 });
      expect(server.llm.stats.completed).toBe(1);
      expect(server.stt.stats.started).toBe(0);
    } finally {
      clients.close();
      await server.close();
    }
  });

  it('close() is idempotent and cuts stalled calls after the grace period', async () => {
    const server = await startSimServer({ shutdownGraceMs: 100 });
    const clients = simClients(server.address);
    const rec = new StreamRecorder<GenerateResponse__Output>(
      clients.llm.Generate(
        { requestId: 'stuck', messages: [] },
        simProfileMetadata({ faults: { stallBeforeFirstMs: 'Infinity' } }),
      ),
    );
    await server.llm.waitFor('call-started', (e) => e.requestId === 'stuck');
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect((await rec.done()).code).not.toBe(GrpcStatus.OK);
    clients.close();
  });
});
