import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { describe, expect, it } from 'vitest';
import { isEspeakAvailable } from '../espeak/engine.js';
import { ENGINE_LAUNCHERS } from '../main.js';
import { isPocketsphinxAvailable } from '../pocketsphinx/engine.js';
import { SERVICE_NAMES } from './engine-server.js';

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

const CASES: [string, string, string[], boolean][] = [
  ['espeak', SERVICE_NAMES.tts, ['--voice', 'en-us', '--chunk-ms', '40'], isEspeakAvailable()],
  ['pocketsphinx', SERVICE_NAMES.stt, ['--max-failures', '2'], isPocketsphinxAvailable()],
  ['openai', SERVICE_NAMES.llm, ['--base-url', 'http://127.0.0.1:9/v1', '--model', 'm'], true],
  ['reply', SERVICE_NAMES.llm, ['--inter-token-ms', '10'], true],
  ['deepgram', SERVICE_NAMES.stt, ['--base-url', 'ws://127.0.0.1:9', '--model', 'nova-3'], true],
  ['elevenlabs', SERVICE_NAMES.tts, ['--base-url', 'ws://127.0.0.1:9'], true],
  ['cartesia', SERVICE_NAMES.tts, ['--base-url', 'ws://127.0.0.1:9'], true],
  ['openai-speech', SERVICE_NAMES.tts, ['--base-url', 'http://127.0.0.1:9/v1'], true],
  ['openai-stt', SERVICE_NAMES.stt, ['--base-url', 'http://127.0.0.1:9/v1'], true],
];

describe('engine launchers', () => {
  it.each(CASES)(
    '%s starts standalone and serves grpc.health.v1',
    async (kind, service, args, ok) => {
      if (!ok) {
        return;
      }
      const launcher = ENGINE_LAUNCHERS[kind];
      expect(launcher?.summary).toMatch(new RegExp(`^${kind}`));
      const engine = await launcher!.start(['--port', '0', ...args]);
      try {
        expect(engine.address).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(await checkHealth(engine.address, '')).toBe('SERVING');
        expect(await checkHealth(engine.address, service)).toBe('SERVING');
      } finally {
        await engine.close();
      }
    },
  );

  it('rejects bad options', async () => {
    await expect(ENGINE_LAUNCHERS['reply']!.start(['--inter-token-ms', 'soon'])).rejects.toThrow(
      /inter-token-ms/,
    );
    await expect(ENGINE_LAUNCHERS['openai']!.start(['--nope'])).rejects.toThrow();
  });
});
