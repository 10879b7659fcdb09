import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type {
  RecognizeRequest,
  RecognizeRequest__Output,
} from '../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../generated/voicerelay/v1/RecognizeResponse.js';
import type { SpeechToTextClient } from '../generated/voicerelay/v1/SpeechToText.js';
import { stageProtos } from './protos.js';
import { encodeAudioRequest, sttClientConstructor } from './stt-audio-encoder.js';

const service = stageProtos().SpeechToText.service as ServiceDefinition;
const generic = service['Recognize']?.requestSerialize as (r: RecognizeRequest) => Buffer;

function pcm(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    b[i] = (i * 31 + seed) & 0xff;
  }
  return b;
}

describe('the audio request encoder', () => {
  it('writes exactly what protobufjs writes for audio chunks', () => {
    const cases: RecognizeRequest[] = [
      { audio: { seq: 0, captureTsMs: 0, audio: Buffer.alloc(0), concealed: false } },
      { audio: { seq: 1, captureTsMs: 1_733_000_000_123.5, audio: pcm(640, 1), concealed: false } },
      { audio: { seq: 127, captureTsMs: -3, audio: pcm(160, 2), concealed: true } },
      { audio: { seq: 128, captureTsMs: 20, audio: pcm(320, 3) } },
      { audio: { seq: 2 ** 32 - 1, audio: pcm(1920, 4) } },
      { audio: { seq: 16_384 } },
      { audio: { captureTsMs: 1e300 } },
      { audio: {} },
    ];
    for (const c of cases) {
      const fast = encodeAudioRequest(c);
      expect(fast).toBeDefined();
      expect(fast?.equals(generic(c))).toBe(true);
    }
  });

  it('leaves every other request shape to protobufjs', () => {
    const others: RecognizeRequest[] = [
      { requestId: 'r1', config: { encoding: 'LINEAR16', sampleRateHz: 16_000 } },
      { flush: { turnId: 't1' } },
      { cancel: {} },
      { requestId: 'r1', audio: { seq: 1, audio: pcm(4, 1) } },
      { audio: { seq: -1, audio: pcm(4, 1) } },
      { audio: { seq: 1.5 } },
      { audio: { captureTsMs: '12' } },
      { audio: { audio: new Uint8Array(4) } },
    ];
    for (const o of others) {
      expect(encodeAudioRequest(o)).toBeUndefined();
    }
  });
});

describe('the relay STT client', () => {
  const received: RecognizeRequest__Output[] = [];
  let server: Server;
  let address = '';
  let done: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (done = resolve));

  beforeAll(async () => {
    server = new Server();
    server.addService(service, {
      Recognize: (call: ServerDuplexStream<RecognizeRequest__Output, RecognizeResponse>) => {
        call.on('data', (r: RecognizeRequest__Output) => received.push(r));
        call.on('end', () => {
          call.end();
          done();
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err === null ? resolve(p) : reject(err),
      ),
    );
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => {
    server.forceShutdown();
  });

  it('delivers config, audio and flush to a real server, each as written', async () => {
    const Ctor = sttClientConstructor();
    const client = new Ctor(address, credentials.createInsecure()) as unknown as SpeechToTextClient;
    const call = client.Recognize(new Metadata());
    call.on('data', () => undefined);
    const status = new Promise<number>((resolve) =>
      call.once('status', (st: { code: number }) => resolve(st.code)),
    );
    call.write({ requestId: 's1', config: { encoding: 'LINEAR16', sampleRateHz: 16_000 } });
    const frames = [0, 1, 300, 2 ** 32 - 1].map((seq, i) => ({
      seq,
      captureTsMs: 1_000 + i * 20.25,
      audio: pcm(640, i),
      concealed: i === 2,
    }));
    for (const f of frames) {
      call.write({ audio: f });
    }
    call.write({ flush: { turnId: 't1' } });
    call.end();
    await ended;
    expect(await status).toBe(0);
    client.close();
    expect(received.map((r) => r.kind)).toEqual([
      'config',
      'audio',
      'audio',
      'audio',
      'audio',
      'flush',
    ]);
    expect(received[0]?.requestId).toBe('s1');
    expect(received[0]?.config?.sampleRateHz).toBe(16_000);
    frames.forEach((f, i) => {
      const a = received[i + 1]?.audio;
      expect(a?.seq).toBe(f.seq);
      expect(a?.captureTsMs).toBe(f.captureTsMs);
      expect(a?.concealed).toBe(f.concealed);
      expect(Buffer.from(a?.audio ?? []).equals(f.audio)).toBe(true);
    });
    expect(received[5]?.flush?.turnId).toBe('t1');
  });
});
