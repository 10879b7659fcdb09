/**
 * The direct pipe: "the relay without the relay logic", in its own process like the
 * relay. The same transports and hops as the relay, nothing else: a plain ws server;
 * per connection one gRPC Recognize stream to the same STT sink (each binary frame
 * decoded and written as an AudioChunk, with the relay's write-buffer limit); on
 * `input.text`, one Synthesize stream to the same TTS engine whose audio is cut into
 * 20 ms frames and paced from one shared ticker with the relay's lead. No auth, no
 * sessions, no jitter buffer, no VAD, no turn-taking, no metrics.
 *
 * On the path /turns it is the direct pipe of the first-audio benchmark: the STT stream
 * goes to the sim engine; its final transcript starts one LLM Generate, and the reply
 * text goes to TTS as soon as it ends a sentence (as the relay's phrase chunker does);
 * `turn.metrics` (without figures) follows the reply's last frame.
 *
 *   node --import tsx direct-child.ts '{"sttAddress":…,"ttsAddress":…,"speakingRate":…}'
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  credentials,
  Metadata,
  type ClientDuplexStream,
  type ClientReadableStream,
} from '@grpc/grpc-js';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GenerateResponse__Output } from '../generated/voicerelay/v1/GenerateResponse.js';
import type { RecognizeRequest } from '../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse__Output } from '../generated/voicerelay/v1/RecognizeResponse.js';
import type { SynthesizeRequest } from '../generated/voicerelay/v1/SynthesizeRequest.js';
import type { SynthesizeResponse__Output } from '../generated/voicerelay/v1/SynthesizeResponse.js';
import { nowMs } from '../core/clock.js';
import { Ticker } from '../core/ticker.js';
import { STAGE_CHANNEL_OPTIONS } from '../grpc/channel.js';
import { stageProtos } from '../grpc/protos.js';
import { FLAG_REPLY_START, decodeFrame, encodeFrame } from '../transports/ws/wire.js';
import { serveParent } from './child-ipc.js';

export interface DirectChildConfig {
  sttAddress: string;
  ttsAddress: string;
  /** STT and LLM of the /turns path (the sim engine). */
  turnSttAddress: string;
  llmAddress: string;
  turnSilenceMs: number;
  speakingRate: number;
  turnSpeakingRate: number;
  sampleRateHz: number;
  leadMs: number;
}

export interface DirectChildInfo {
  address: string;
}

interface Conn {
  ws: WebSocket;
  stt: ClientDuplexStream<RecognizeRequest, RecognizeResponse__Output>;
  tts: ClientDuplexStream<SynthesizeRequest, SynthesizeResponse__Output> | undefined;
  llm: ClientReadableStream<GenerateResponse__Output> | undefined;
  rest: Buffer;
  queue: Buffer[];
  head: number;
  playStartMs: number;
  sentMs: number;
  outSeq: number;
  first: boolean;
  ttsDone: boolean;
  turnOpen: boolean;
}

const MAX_PENDING_FRAMES = 50;
const DROP_AUDIO_ABOVE_BYTES = 64 * 1024;

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as DirectChildConfig;
  const frameBytes = (cfg.sampleRateHz / 1000) * 20 * 2;
  const p = stageProtos();
  const stt = new p.SpeechToText(
    cfg.sttAddress,
    credentials.createInsecure(),
    STAGE_CHANNEL_OPTIONS,
  );
  const tts = new p.TextToSpeech(
    cfg.ttsAddress,
    credentials.createInsecure(),
    STAGE_CHANNEL_OPTIONS,
  );
  const turnStt = new p.SpeechToText(
    cfg.turnSttAddress,
    credentials.createInsecure(),
    STAGE_CHANNEL_OPTIONS,
  );
  const llm = new p.LanguageModel(
    cfg.llmAddress,
    credentials.createInsecure(),
    STAGE_CHANNEL_OPTIONS,
  );
  const counters = { framesIn: 0, framesOut: 0, framesDropped: 0, sessions: 0 };
  const playing = new Set<Conn>();
  const ticker = new Ticker(20);

  /** Send what is due for one connection (the relay's pacer rule, lead included). */
  const pump = (c: Conn, ts: number): void => {
    while (c.head < c.queue.length) {
      if (c.playStartMs === 0 || c.sentMs < ts - c.playStartMs) {
        c.playStartMs = ts;
        c.sentMs = 0;
      }
      if (c.sentMs >= ts - c.playStartMs + cfg.leadMs) {
        break;
      }
      const payload = c.queue[c.head]!;
      c.queue[c.head++] = undefined as unknown as Buffer;
      if (c.ws.bufferedAmount > DROP_AUDIO_ABOVE_BYTES) {
        counters.framesDropped++;
      } else {
        c.ws.send(encodeFrame(c.outSeq++, c.sentMs, c.first ? FLAG_REPLY_START : 0, payload));
        c.first = false;
        counters.framesOut++;
      }
      c.sentMs += 20;
    }
    if (c.head >= c.queue.length) {
      c.queue.length = 0;
      c.head = 0;
      playing.delete(c);
      if (c.ttsDone && c.turnOpen) {
        c.turnOpen = false;
        c.ws.send(JSON.stringify({ type: 'turn.metrics', voiceToVoiceMs: null }));
      }
    }
  };
  const stopTicking = ticker.subscribe((ts) => {
    for (const c of playing) {
      pump(c, ts);
    }
  });
  /** New audio: like the relay's pacer, send what is due at once (no wait for a tick). */
  const arm = (c: Conn): void => {
    if (!playing.has(c)) {
      playing.add(c);
      pump(c, nowMs());
    }
  };

  const startReply = (c: Conn, text: string, speakingRate: number): void => {
    c.tts?.cancel();
    const call = tts.Synthesize(new Metadata());
    c.tts = call;
    c.first = true;
    c.ttsDone = false;
    call.on('end', () => {
      c.ttsDone = true;
      arm(c);
    });
    call.on('data', (r: SynthesizeResponse__Output) => {
      if (r.kind !== 'audio' || r.audio == null) {
        return;
      }
      let buf = c.rest.length > 0 ? Buffer.concat([c.rest, r.audio.audio]) : r.audio.audio;
      let off = 0;
      for (; off + frameBytes <= buf.length; off += frameBytes) {
        c.queue.push(buf.subarray(off, off + frameBytes));
      }
      buf = buf.subarray(off);
      c.rest = buf;
      arm(c);
    });
    call.on('error', () => undefined);
    call.write({
      config: {
        voice: '',
        encoding: 'LINEAR16',
        sampleRateHz: cfg.sampleRateHz,
        speakingRate,
        language: 'en-US',
      },
    });
    call.write({ text: { text } });
    call.end();
  };

  const startTurn = (c: Conn, userText: string): void => {
    c.llm?.cancel();
    const call = llm.Generate({
      requestId: randomUUID(),
      messages: [{ role: 'USER', content: userText }],
      params: { maxTokens: 256 },
    });
    c.llm = call;
    let text = '';
    let sent = false;
    c.turnOpen = true;
    call.on('data', (r: GenerateResponse__Output) => {
      if (r.kind === 'delta' && r.delta != null && !sent) {
        text += r.delta.text;
        if (/[.!?]\s*$/.test(text)) {
          sent = true;
          startReply(c, text.trim(), cfg.turnSpeakingRate);
        }
      }
    });
    call.on('error', () => undefined);
  };

  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: 64 * 1024,
  });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const id = randomUUID();
    const turns = (req.url ?? '/').startsWith('/turns');
    const call = (turns ? turnStt : stt).Recognize(new Metadata());
    call.on('error', () => undefined);
    call.write({
      requestId: id,
      config: {
        encoding: 'LINEAR16',
        sampleRateHz: cfg.sampleRateHz,
        language: 'en-US',
        endpointing: { silenceMs: cfg.turnSilenceMs },
      },
    });
    const c: Conn = {
      ws,
      stt: call,
      tts: undefined,
      llm: undefined,
      rest: Buffer.alloc(0),
      queue: [],
      head: 0,
      playStartMs: 0,
      sentMs: 0,
      outSeq: 0,
      first: true,
      ttsDone: false,
      turnOpen: false,
    };
    call.on('data', (r: RecognizeResponse__Output) => {
      const t = r.transcript;
      if (turns && r.kind === 'transcript' && t != null && t.isFinal && t.text.trim() !== '') {
        startTurn(c, t.text);
      }
    });
    counters.sessions++;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const f = decodeFrame(data);
        if ('error' in f || f.payload.length !== frameBytes) {
          counters.framesDropped++;
          return;
        }
        if (call.writableLength >= MAX_PENDING_FRAMES) {
          counters.framesDropped++;
          return;
        }
        counters.framesIn++;
        call.write({
          audio: { seq: f.seq, captureTsMs: f.timestampMs, audio: f.payload, concealed: false },
        });
        return;
      }
      const ev = JSON.parse(data.toString('utf8')) as { type?: string; text?: string };
      if (ev.type === 'input.text' && typeof ev.text === 'string') {
        startReply(c, `You said: ${ev.text}.`, cfg.speakingRate);
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      counters.sessions--;
      playing.delete(c);
      call.cancel();
      c.tts?.cancel();
      c.llm?.cancel();
    });
    ws.send(
      JSON.stringify({ type: 'session.ready', sessionId: id, pipeline: 'direct', frameMs: 20 }),
    );
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const addr = wss.address() as AddressInfo;
  serveParent(
    { address: `${addr.address}:${addr.port}` } satisfies DirectChildInfo,
    {},
    () => ({ ...counters }),
    async () => {
      stopTicking();
      for (const ws of wss.clients) {
        ws.terminate();
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const client of [stt, tts, turnStt, llm]) {
        client.close();
      }
    },
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
