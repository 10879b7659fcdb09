import { afterEach, describe, expect, it } from 'vitest';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { RecognizeRequest__Output } from '../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../generated/voicerelay/v1/RecognizeResponse.js';
import type { AudioFrame } from '../frames/frames.js';
import { stageProtos } from '../grpc/protos.js';
import { startEngineServer, type EngineServer } from '../engines/shared/engine-server.js';
import { AudioProgress } from '../engines/shared/audio-progress.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import { testPipeline } from '../testing/pipeline-harness.js';
import { until } from '../testing/gateway-client.js';
import { StageClients } from './stage-clients.js';
import { SttStream, type SttDropReason } from './stt-stream.js';

type Call = ServerDuplexStream<RecognizeRequest__Output, RecognizeResponse>;

/**
 * An STT engine that reads `readLimit` audio messages per call, reporting AudioProgress as
 * the embedded engines do, and then stops reading: HTTP/2 keeps taking the relay's writes
 * (about 1 MB per stream) while nothing is read.
 */
class StallingEngine {
  readLimit = Infinity;
  readonly calls: { seqs: number[]; stream: Call }[] = [];

  handler = (stream: Call): void => {
    const record = { seqs: [] as number[], stream };
    this.calls.push(record);
    const progress = new AudioProgress();
    let configured = false;
    stream.on('data', (req: RecognizeRequest__Output) => {
      if (!configured) {
        configured = true;
        stream.write({ ready: { audioProgress: true, engine: 'stalling' } });
        return;
      }
      if (req.audio == null) {
        return;
      }
      record.seqs.push(req.audio.seq);
      const report = progress.onAudio();
      if (report !== undefined) {
        stream.write(report);
      }
      if (record.seqs.length >= this.readLimit) {
        stream.pause(); // reads nothing more
      }
    });
    stream.on('error', () => {});
    stream.on('end', () => stream.end());
  };
}

const frame = (seq: number): AudioFrame => ({
  seq,
  captureTsMs: 1_000_000 + seq * 20,
  arrivalTsMs: 0,
  payload: Buffer.alloc(640, seq & 0xff),
  concealed: false,
});

let server: EngineServer | undefined;
let clients: StageClients | undefined;
let stream: SttStream | undefined;
afterEach(async () => {
  stream?.close();
  clients?.close();
  await server?.close();
  stream = undefined;
  clients = undefined;
  server = undefined;
});

async function setUp(engine: StallingEngine, maxPendingFrames: number) {
  const v1 = stageProtos();
  server = await startEngineServer([
    {
      name: 'voicerelay.v1.SpeechToText',
      definition: v1.SpeechToText.service,
      implementation: { Recognize: engine.handler },
    },
  ]);
  clients = new StageClients();
  const metrics = createMetrics();
  const drops: Record<SttDropReason, number> = {
    stt_backpressure: 0,
    stt_unavailable: 0,
    stt_restart: 0,
  };
  const config = testPipeline(`
stages:
  stt: { endpoints: ['${server.address}'], budgetMs: 60000 }
  llm: { endpoints: [embedded], budgetMs: 60000 }
  tts: { endpoints: [embedded], budgetMs: 60000 }
`).stages.stt;
  stream = new SttStream({
    sessionId: 's1',
    config,
    sampleRateHz: 16000,
    clients,
    metrics,
    logger: silentLogger(),
    maxPendingFrames,
    handlers: {
      onTranscript: () => {},
      onSpeechEvent: () => {},
      onFlushDone: () => {},
      onFailure: () => {},
      onAudioDropped: (reason, frames) => {
        drops[reason] += frames;
      },
    },
  });
  stream.start();
  return { metrics, drops, stt: stream };
}

async function dropped(metrics: Metrics, reason: SttDropReason): Promise<number> {
  const v = (await metrics.framesDropped.get()).values;
  return v.find((x) => x.labels.reason === reason)?.value ?? 0;
}

/** Write frames one at a time until the engine has read `limit` and stopped; returns the next seq. */
async function writeUntilStalled(
  engine: StallingEngine,
  stt: SttStream,
  limit: number,
): Promise<number> {
  engine.readLimit = limit;
  await until(() => Promise.resolve(engine.calls.length === 1 || undefined));
  let seq = 0;
  while (engine.calls[0]!.seqs.length < limit) {
    stt.write(frame(seq++));
    await new Promise<void>((r) => setImmediate(r));
  }
  return seq;
}

describe('the STT write queue is what the engine has not read', () => {
  it('drops (counted, reported) beyond the budget while the transport still accepts writes', async () => {
    const engine = new StallingEngine();
    const { metrics, drops, stt } = await setUp(engine, 100);
    // Written one by one as the engine reads, until it stops: 50 read.
    let seq = await writeUntilStalled(engine, stt, 50);
    // The engine reads nothing more. 300 frames (192 KB) fit in HTTP/2's buffers: the
    // relay's own write buffer stays empty, only the engine's progress shows the backlog.
    for (let i = 0; i < 300; i++) {
      stt.write(frame(seq++));
    }
    expect(stt.backlog).toBeGreaterThanOrEqual(100);
    const written = stt.framesWritten;
    // Every frame beyond the budget was dropped, counted and reported.
    expect(written + drops.stt_backpressure).toBe(seq);
    expect(drops.stt_backpressure).toBeGreaterThan(0);
    expect(await dropped(metrics, 'stt_backpressure')).toBe(drops.stt_backpressure);
    // Backlog bounded at the budget: what the engine last reported plus 100 at most.
    expect(written).toBeLessThanOrEqual(50 + 100);
  });

  it('a restarted stream resends what came after the lost utterance; what the engine never read before it is counted', async () => {
    const engine = new StallingEngine();
    const { metrics, drops, stt } = await setUp(engine, 500);
    let seq = await writeUntilStalled(engine, stt, 25);
    // The first progress report (25 read) must be in before the rest is written.
    await until(() => Promise.resolve(stt.backlog === seq - 25 || undefined));
    const readByOld = 25;
    const keepFrom = 100; // the lost utterance ended at frame 100
    while (seq < 140) {
      stt.write(frame(seq++));
    }
    engine.readLimit = Infinity;
    stt.restart(false, frame(keepFrom).captureTsMs);
    await until(() => Promise.resolve((engine.calls[1]?.seqs.length ?? 0) >= 40 || undefined));
    // The new stream got exactly the frames from the end of the lost utterance on.
    expect(engine.calls[1]!.seqs).toEqual(Array.from({ length: 40 }, (_, i) => keepFrom + i));
    // Unread by the old stream and not resent: frames readByOld..keepFrom-1.
    const lost = keepFrom - readByOld;
    expect(drops.stt_restart).toBe(lost);
    expect(await dropped(metrics, 'stt_restart')).toBe(lost);
    expect(drops.stt_backpressure + drops.stt_unavailable).toBe(0);
  });
});
