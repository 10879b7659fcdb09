/**
 * SpeechToText.Recognize bridged to Deepgram live streaming
 * (`{baseUrl}/v1/listen`, one WebSocket per gRPC stream).
 *
 * Audio goes up as binary frames (never an empty one); Deepgram's `Results`
 * come back as JSON. Interim results (`is_final:false`) become interim
 * transcripts of the current utterance (the finalised segments so far plus
 * the interim text); an utterance ends at `speech_final` (endpointing), at
 * `UtteranceEnd`, or at a result answering `Finalize`, and then becomes
 * SPEECH_ENDED, END_OF_UTTERANCE and one final transcript. `SpeechStarted`
 * becomes SPEECH_STARTED. Deepgram's times (audio seconds since the stream
 * start) are mapped back to the relay's capture clock.
 *
 * Flush sends `Finalize` and answers FlushDone once the finalised result came
 * (or at once when no audio is pending); half-close sends `CloseStream`, waits
 * for Deepgram to close and ends OK. `KeepAlive` goes out while no audio flows.
 * Cancel or the end of the call closes the socket. Close codes and refused
 * handshakes are mapped to gRPC statuses with Deepgram's reason.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type WebSocket from 'ws';
import type { RawData } from 'ws';
import { nowMs } from '../../core/clock.js';
import type { AudioChunk__Output } from '../../generated/voicerelay/v1/AudioChunk.js';
import type { RecognizeRequest__Output } from '../../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { UpstreamError } from '../openai/upstream.js';
import { CaptureTimeline } from '../pocketsphinx/timeline.js';
import { audioReadCounter } from '../shared/audio-progress.js';
import type { EngineCall } from '../shared/engine-call.js';
import { asUpstreamError } from '../speech-bridge/provider.js';
import {
  closeSocket,
  grpcCodeForClose,
  openProviderSocket,
  sendJson,
} from '../speech-bridge/ws-upstream.js';
import type { DeepgramEngine } from './engine.js';
import { deepgramListen } from './listen-url.js';
import { DEEPGRAM_READY, num, parseMessage, rawText, type DeepgramResult } from './messages.js';

type SttCall = EngineCall<RecognizeRequest__Output, RecognizeResponse>;

/** Audio queued while the socket opens: about 10 s of 16 kHz PCM. */
const MAX_QUEUED_BYTES = 320_000;

export class DeepgramSttSession {
  readonly #call: SttCall;
  readonly #engine: DeepgramEngine;
  #state: 'new' | 'connecting' | 'open' | 'closing' = 'new';
  #ws: WebSocket | undefined;
  #key: string | undefined;
  #requestId = '';
  #interim = true;
  #bytesPerSample = 2;
  #rateHz = 16000;
  #queued: Buffer[] = [];
  #queuedBytes = 0;
  #samplesSent = 0;
  #lastSentMs = 0;
  #timeline = new CaptureTimeline(0, 20_000);
  #lastCaptureEndMs = 0;
  /** Audio sent since the last utterance ended (a Flush then needs a Finalize). */
  #pending = false;
  // current utterance
  #utterance = 1;
  #segments: string[] = [];
  #confidences: number[] = [];
  #startSec: number | undefined;
  #endSec = 0;
  #firstResultTs = 0;
  #flush: { turnId: string; sinceMs: number } | undefined;
  #halfClosedAtMs = 0;
  #unsubscribe: (() => void) | undefined;
  /** An audio message is read once Deepgram's socket took it (so its backlog shows). */
  readonly #read = audioReadCounter((report) => this.#send(report));

  constructor(call: SttCall, engine: DeepgramEngine) {
    this.#call = call;
    this.#engine = engine;
    call.onClose(() => {
      this.#unsubscribe?.();
      this.#queued = [];
      closeSocket(this.#ws, 1000, 'call ended');
    });
  }

  onRequest(req: RecognizeRequest__Output): void {
    if (this.#call.closed) {
      return;
    }
    if (this.#state === 'new') {
      this.#configure(req);
      return;
    }
    switch (req.kind) {
      case 'audio':
        if (req.audio != null) {
          this.#onAudio(req.audio);
        }
        return;
      case 'flush':
        this.#onFlush(req.flush?.turnId ?? '');
        return;
      case 'cancel':
        this.#call.cancelByMessage(req.cancel?.reason ?? '');
        return;
      case 'config':
        this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'config may only be sent once, first');
        return;
      default:
        return;
    }
  }

  onHalfClose(): void {
    if (this.#call.closed) {
      return;
    }
    if (this.#state === 'new') {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'stream ended before the config');
      return;
    }
    this.#halfClosedAtMs = nowMs();
    if (this.#state === 'open') {
      this.#state = 'closing';
      sendJson(this.#ws, { type: 'CloseStream' });
    }
  }

  #configure(req: RecognizeRequest__Output): void {
    this.#requestId = req.requestId;
    this.#call.identify(req.requestId);
    if (req.kind !== 'config' || req.config == null) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'the first request must carry the config');
      return;
    }
    let url: string;
    try {
      const listen = deepgramListen(this.#engine, req.config);
      url = listen.url;
      this.#key = listen.key;
      this.#bytesPerSample = listen.bytesPerSample;
      this.#rateHz = listen.rateHz;
    } catch (err) {
      const e = asUpstreamError(err, 'invalid config');
      this.#call.fail(e.code, e.message);
      return;
    }
    this.#state = 'connecting';
    this.#interim = req.config.interimResults;
    const headers: Record<string, string> = {};
    if (this.#key !== undefined) {
      headers['authorization'] = `Token ${this.#key}`;
    }
    this.#engine.monitor.stats.upstreamRequests++;
    openProviderSocket(url, {
      headers,
      timeoutMs: this.#engine.options.connectTimeoutMs,
      signal: this.#call.signal,
      provider: 'deepgram',
    }).then(
      (ws) => this.#onOpen(ws),
      (err: unknown) => this.#failWith(asUpstreamError(err, 'deepgram')),
    );
  }

  #onOpen(ws: WebSocket): void {
    if (this.#call.closed) {
      closeSocket(ws);
      return;
    }
    this.#ws = ws;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        this.#onMessage(rawText(data));
      }
    });
    ws.on('close', (code: number, reason: Buffer) => this.#onClose(code, reason.toString()));
    ws.on('error', () => undefined);
    this.#state = 'open';
    this.#lastSentMs = nowMs();
    this.#send({ ready: { ...DEEPGRAM_READY, partialResults: this.#interim } });
    for (const b of this.#queued) {
      ws.send(b, this.#read);
    }
    this.#queued = [];
    this.#queuedBytes = 0;
    this.#unsubscribe = this.#engine.ticker.subscribe((ts) => this.#tick(ts));
    if (this.#halfClosedAtMs > 0) {
      this.#state = 'closing';
      sendJson(ws, { type: 'CloseStream' });
    } else if (this.#flush !== undefined) {
      sendJson(ws, { type: 'Finalize' });
    }
  }

  #onAudio(chunk: AudioChunk__Output): void {
    const usable = chunk.audio.length - (chunk.audio.length % this.#bytesPerSample);
    if (usable <= 0 || this.#halfClosedAtMs > 0) {
      return this.#read();
    }
    const audio = usable === chunk.audio.length ? chunk.audio : chunk.audio.subarray(0, usable);
    const samples = usable / this.#bytesPerSample;
    this.#timeline.add((this.#samplesSent * 16000) / this.#rateHz, chunk.captureTsMs);
    this.#samplesSent += samples;
    this.#lastCaptureEndMs = chunk.captureTsMs + (samples * 1000) / this.#rateHz;
    this.#pending = true;
    if (this.#state === 'open' && this.#ws !== undefined) {
      this.#ws.send(audio, this.#read);
      this.#lastSentMs = nowMs();
      return;
    }
    if (this.#queuedBytes + audio.length > MAX_QUEUED_BYTES) {
      this.#engine.monitor.stats.droppedAudioBytes += audio.length;
      return this.#read();
    }
    this.#queued.push(Buffer.from(audio));
    this.#queuedBytes += audio.length;
  }

  #onFlush(turnId: string): void {
    if (!this.#pending && this.#segments.length === 0) {
      this.#send({ turnId, flushDone: { turnId } });
      return;
    }
    this.#flush = { turnId, sinceMs: nowMs() };
    if (this.#state === 'open') {
      sendJson(this.#ws, { type: 'Finalize' });
      this.#lastSentMs = nowMs();
    }
  }

  #tick(ts: number): void {
    const o = this.#engine.timing;
    if (this.#state === 'open' && ts - this.#lastSentMs >= o.keepAliveMs) {
      sendJson(this.#ws, { type: 'KeepAlive' });
      this.#lastSentMs = ts;
    }
    if (this.#flush !== undefined && ts - this.#flush.sinceMs >= o.flushTimeoutMs) {
      this.#endUtterance(this.#endSec);
      this.#answerFlush();
    }
    if (this.#halfClosedAtMs > 0 && ts - this.#halfClosedAtMs >= o.closeTimeoutMs) {
      this.#endUtterance(this.#endSec);
      this.#answerFlush();
      this.#call.finish();
    }
  }

  #onMessage(text: string): void {
    const msg = parseMessage(text);
    if (msg === undefined) {
      this.#failWith(
        new UpstreamError(GrpcStatus.INTERNAL, `deepgram sent invalid JSON: ${text.slice(0, 200)}`),
      );
      return;
    }
    switch (msg.type) {
      case 'Results':
        this.#onResults(msg);
        return;
      case 'SpeechStarted':
        this.#send({
          speechEvent: {
            type: 'SPEECH_STARTED',
            audioTsMs: this.#captureMs(num(msg.timestamp)),
            utterance: this.#utterance,
          },
        });
        return;
      case 'UtteranceEnd':
        this.#endUtterance(num(msg.last_word_end) || this.#endSec);
        return;
      default:
        // Metadata and anything newer: nothing to map.
        return;
    }
  }

  #onResults(msg: DeepgramResult): void {
    const alt = msg.channel?.alternatives?.[0];
    const text = typeof alt?.transcript === 'string' ? alt.transcript.trim() : '';
    const words = alt?.words ?? [];
    if (text !== '') {
      const first = num(words[0]?.start, num(msg.start));
      const last = num(words[words.length - 1]?.end, num(msg.start) + num(msg.duration));
      this.#startSec ??= first;
      this.#endSec = Math.max(this.#endSec, last);
      if (this.#firstResultTs === 0) {
        this.#firstResultTs = nowMs();
      }
    }
    const isFinal = msg.is_final === true;
    if (isFinal && text !== '') {
      this.#segments.push(text);
      this.#confidences.push(num(alt?.confidence));
    }
    if (isFinal && (msg.speech_final === true || msg.from_finalize === true)) {
      this.#endUtterance(this.#endSec);
      if (msg.from_finalize === true) {
        this.#answerFlush();
      }
      return;
    }
    if (this.#interim && text !== '') {
      const shown = isFinal ? this.#segments : [...this.#segments, text];
      this.#send({
        transcript: {
          text: shown.join(' '),
          isFinal: false,
          stability: isFinal ? 0.9 : 0.5,
          confidence: num(alt?.confidence),
          startTsMs: this.#captureMs(this.#startSec ?? 0),
          endTsMs: this.#captureMs(this.#endSec),
          utterance: this.#utterance,
          firstResultServerTsMs: this.#firstResultTs,
        },
      });
    }
  }

  /** The utterance's finalised text (if any) becomes the final transcript. */
  #endUtterance(lastWordEndSec: number): void {
    this.#pending = false;
    if (this.#segments.length === 0) {
      return;
    }
    const no = this.#utterance++;
    const endTsMs = this.#captureMs(Math.max(lastWordEndSec, this.#endSec));
    const confidence =
      this.#confidences.reduce((s, c) => s + c, 0) / Math.max(1, this.#confidences.length);
    this.#send({ speechEvent: { type: 'SPEECH_ENDED', audioTsMs: endTsMs, utterance: no } });
    this.#send({
      speechEvent: {
        type: 'END_OF_UTTERANCE',
        audioTsMs: Math.max(endTsMs, this.#lastCaptureEndMs),
        utterance: no,
      },
    });
    this.#send({
      transcript: {
        text: this.#segments.join(' '),
        isFinal: true,
        stability: 1,
        confidence: Math.min(1, Math.max(0, confidence)),
        startTsMs: this.#captureMs(this.#startSec ?? 0),
        endTsMs,
        utterance: no,
        firstResultServerTsMs: this.#firstResultTs || nowMs(),
      },
    });
    this.#segments = [];
    this.#confidences = [];
    this.#startSec = undefined;
    this.#firstResultTs = 0;
  }

  #answerFlush(): void {
    const f = this.#flush;
    if (f === undefined) {
      return;
    }
    this.#flush = undefined;
    this.#send({ turnId: f.turnId, flushDone: { turnId: f.turnId } });
  }

  #onClose(code: number, reason: string): void {
    this.#ws = undefined;
    if (this.#call.closed) {
      return;
    }
    if (this.#state === 'closing' && code === 1000) {
      this.#endUtterance(this.#endSec);
      this.#answerFlush();
      this.#call.finish();
      return;
    }
    const why = reason === '' ? 'no reason given' : reason;
    this.#failWith(
      new UpstreamError(grpcCodeForClose(code), `deepgram closed the stream (${code}): ${why}`),
    );
  }

  #failWith(err: UpstreamError): void {
    if (!this.#call.closed) {
      this.#call.fail(err.code, this.#engine.redact(err.message, this.#key));
    }
  }

  #captureMs(sec: number): number {
    return this.#timeline.captureMsAt(sec) ?? this.#lastCaptureEndMs;
  }

  #send(response: Omit<RecognizeResponse, 'requestId' | 'serverTsMs'>): void {
    this.#call.send({ ...response, requestId: this.#requestId, serverTsMs: nowMs() });
  }
}
