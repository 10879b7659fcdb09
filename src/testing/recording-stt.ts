import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import type { RecognizeRequest__Output } from '../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../generated/voicerelay/v1/RecognizeResponse.js';
import { stageProtos } from '../grpc/protos.js';

export interface RecordedChunk {
  seq: number;
  /** Capture time of the first sample on the relay clock. */
  captureTsMs: number;
  concealed: boolean;
  /** The stream's request id (the relay sends its session id). */
  requestId: string;
  audio: Buffer;
}

/** A real gRPC STT server that records every audio chunk it receives, in order. */
export async function startRecordingStt(): Promise<{
  address: string;
  chunks: RecordedChunk[];
  waitForChunks(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}> {
  const chunks: RecordedChunk[] = [];
  const waiters = new Set<{ n: number; resolve(): void }>();
  const server = new Server();
  server.addService(stageProtos().SpeechToText.service, {
    Recognize: (call: ServerDuplexStream<RecognizeRequest__Output, RecognizeResponse>) => {
      let requestId = '';
      call.on('data', (req: RecognizeRequest__Output) => {
        if (req.requestId !== '') {
          requestId = req.requestId;
        }
        if (req.kind === 'audio' && req.audio != null) {
          chunks.push({
            seq: req.audio.seq,
            captureTsMs: req.audio.captureTsMs,
            concealed: req.audio.concealed,
            requestId,
            audio: req.audio.audio,
          });
          for (const w of waiters) {
            if (chunks.length >= w.n) {
              waiters.delete(w);
              w.resolve();
            }
          }
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err === null ? resolve(p) : reject(err),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    chunks,
    waitForChunks: (n, timeoutMs = 10_000) =>
      chunks.length >= n
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const w = {
              n,
              resolve: () => {
                clearTimeout(t);
                resolve();
              },
            };
            const t = setTimeout(() => {
              waiters.delete(w);
              reject(new Error(`timed out waiting for ${n} chunks (have ${chunks.length})`));
            }, timeoutMs);
            waiters.add(w);
          }),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
