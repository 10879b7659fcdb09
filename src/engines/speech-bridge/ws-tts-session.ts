/**
 * TextToSpeech.Synthesize over a provider WebSocket, the part ElevenLabs and
 * Cartesia share: the config opens the socket (text arriving meanwhile is
 * queued), text chunks and Flush are forwarded, half-close ends the input,
 * provider audio is cut at word ends into AudioOut with spans (alignment.ts),
 * a reply to the TTS backpressure pauses reading the socket, and the end of
 * the provider's generation ends the call with SynthesisDone. Cancel or the
 * end of the call closes the socket; provider errors and closes are mapped to
 * gRPC statuses with the provider's message (the key redacted).
 */
import { status as GrpcStatus, type handleBidiStreamingCall } from '@grpc/grpc-js';
import type WebSocket from 'ws';
import type { RawData } from 'ws';
import { nowMs } from '../../core/clock.js';
import type { SynthesisConfig__Output } from '../../generated/voicerelay/v1/SynthesisConfig.js';
import type { SynthesizeRequest__Output } from '../../generated/voicerelay/v1/SynthesizeRequest.js';
import type { SynthesizeResponse } from '../../generated/voicerelay/v1/SynthesizeResponse.js';
import { UpstreamError } from '../openai/upstream.js';
import { EngineCall } from '../shared/engine-call.js';
import { SpanCutter, TextAligner } from './alignment.js';
import { asUpstreamError, type ProviderEngine } from './provider.js';
import { closeSocket, grpcCodeForClose, openProviderSocket } from './ws-upstream.js';

export type TtsCall = EngineCall<SynthesizeRequest__Output, SynthesizeResponse>;

/** What a provider needs to open its socket for one call. */
export interface WsTtsTarget {
  url: string;
  headers: Record<string, string>;
  /** The key (for redaction). */
  key: string | undefined;
  bytesPerSample: number;
  rateHz: number;
}

export abstract class WsTtsSession {
  protected readonly call: TtsCall;
  protected readonly engine: ProviderEngine;
  protected readonly aligner = new TextAligner();
  protected cutter: SpanCutter | undefined;
  protected config: SynthesisConfig__Output | undefined;
  protected ws: WebSocket | undefined;
  #target: WsTtsTarget | undefined;
  #state: 'new' | 'connecting' | 'open' = 'new';
  #requestId = '';
  #turnId = '';
  /** Provider messages waiting for the socket to open. */
  #outbox: unknown[] = [];
  #inputEnded = false;
  #seq = 0;
  #firstAudioTs = 0;
  /** FlushDone owed once the audio covers this text length. */
  #flushes: { turnId: string; textLength: number }[] = [];

  constructor(call: TtsCall, engine: ProviderEngine) {
    this.call = call;
    this.engine = engine;
    call.onClose(() => {
      this.#outbox = [];
      this.onCallEnded();
      closeSocket(this.ws, 1000, 'call ended');
    });
  }

  protected abstract readonly provider: string;
  /** Validate the config and name the socket (throw UpstreamError on bad input). */
  protected abstract target(config: SynthesisConfig__Output): WsTtsTarget;
  /** Messages to send first, once the socket is open. */
  protected abstract openingMessages(): unknown[];
  protected abstract textMessage(text: string): unknown;
  protected abstract flushMessage(): unknown;
  protected abstract endMessage(): unknown;
  /** One JSON message from the provider. */
  protected abstract onProviderMessage(msg: Record<string, unknown>): void;
  /** The call ended (send a provider cancel if it has one). */
  protected onCallEnded(): void {}

  onRequest(req: SynthesizeRequest__Output): void {
    if (this.call.closed) {
      return;
    }
    if (this.#state === 'new') {
      this.#configure(req);
      return;
    }
    switch (req.kind) {
      case 'text': {
        const text = req.text?.text ?? '';
        if (this.#inputEnded) {
          this.call.fail(GrpcStatus.INVALID_ARGUMENT, 'text after the input ended');
        } else if (text !== '') {
          this.aligner.append(text);
          this.post(this.textMessage(text));
        }
        return;
      }
      case 'flush': {
        const turnId = req.flush?.turnId ?? this.#turnId;
        this.#flushes.push({ turnId, textLength: this.aligner.text.trimEnd().length });
        this.post(this.flushMessage());
        this.#answerFlushes();
        return;
      }
      case 'cancel':
        this.call.cancelByMessage(req.cancel?.reason ?? '');
        return;
      case 'config':
        this.call.fail(GrpcStatus.INVALID_ARGUMENT, 'config may only be sent once, first');
        return;
      default:
        return;
    }
  }

  onHalfClose(): void {
    if (this.call.closed || this.#inputEnded) {
      return;
    }
    if (this.#state === 'new') {
      this.call.fail(GrpcStatus.INVALID_ARGUMENT, 'stream ended before the config');
      return;
    }
    this.#inputEnded = true;
    this.aligner.end();
    if (this.aligner.text === '') {
      this.complete();
      return;
    }
    this.post(this.endMessage());
  }

  /** Send (or queue until open) one JSON message to the provider. */
  protected post(message: unknown): void {
    if (this.#state !== 'open' || this.ws === undefined) {
      this.#outbox.push(message);
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  #configure(req: SynthesizeRequest__Output): void {
    this.#requestId = req.requestId;
    this.#turnId = req.turnId;
    this.call.identify(req.requestId);
    if (req.kind !== 'config' || req.config == null) {
      this.call.fail(GrpcStatus.INVALID_ARGUMENT, 'the first request must carry the config');
      return;
    }
    try {
      this.config = req.config;
      this.#target = this.target(req.config);
    } catch (err) {
      this.fail(asUpstreamError(err, 'invalid config'));
      return;
    }
    const t = this.#target;
    this.cutter = new SpanCutter(this.aligner, t.bytesPerSample, t.rateHz);
    this.#state = 'connecting';
    this.engine.monitor.stats.upstreamRequests++;
    openProviderSocket(t.url, {
      headers: t.headers,
      timeoutMs: this.engine.options.connectTimeoutMs,
      signal: this.call.signal,
      provider: this.provider,
    }).then(
      (ws) => this.#onOpen(ws),
      (err: unknown) => this.fail(asUpstreamError(err, this.provider)),
    );
  }

  #onOpen(ws: WebSocket): void {
    if (this.call.closed) {
      closeSocket(ws);
      return;
    }
    this.ws = ws;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary || this.call.closed) {
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as Buffer).toString('utf8');
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        this.fail(
          new UpstreamError(
            GrpcStatus.INTERNAL,
            `${this.provider} sent invalid JSON: ${text.slice(0, 200)}`,
          ),
        );
        return;
      }
      if (msg !== null && typeof msg === 'object' && !Array.isArray(msg)) {
        this.onProviderMessage(msg as Record<string, unknown>);
      }
    });
    ws.on('close', (code: number, reason: Buffer) => this.onSocketClosed(code, reason.toString()));
    ws.on('error', () => undefined);
    this.#state = 'open';
    for (const m of [...this.openingMessages(), ...this.#outbox]) {
      ws.send(JSON.stringify(m));
    }
    this.#outbox = [];
  }

  /** Provider audio for the stream (in order); spans from the marks made so far. */
  protected audio(pcm: Buffer): void {
    const cutter = this.cutter;
    if (cutter === undefined || this.call.closed || pcm.length === 0) {
      return;
    }
    if (this.#firstAudioTs === 0) {
      this.#firstAudioTs = nowMs();
    }
    let full = false;
    for (const p of cutter.cut(pcm)) {
      full = !this.#sendAudio(p.audio, p.spanStart, p.spanEnd, p.durationMs) || full;
    }
    this.#answerFlushes();
    if (full && this.ws !== undefined) {
      const ws = this.ws;
      ws.pause();
      void this.call.drained().then(() => ws.resume());
    }
  }

  /** The provider finished generating everything: claim the rest of the text, then done. */
  protected complete(): void {
    if (this.call.closed) {
      return;
    }
    const cutter = this.cutter;
    const before = cutter?.spanEnd ?? 0;
    const end = cutter?.finish() ?? this.aligner.text.length;
    if (end > before) {
      this.#sendAudio(Buffer.alloc(0), before, end, 0);
    }
    for (const f of this.#flushes.splice(0)) {
      this.#send({ flushDone: { turnId: f.turnId } });
    }
    this.#send({ done: { totalAudioMs: cutter?.audioMs ?? 0 } });
    this.call.finish();
  }

  #answerFlushes(): void {
    const spoken = this.cutter?.spanEnd ?? 0;
    while (this.#flushes.length > 0 && this.#flushes[0]!.textLength <= spoken) {
      const f = this.#flushes.shift()!;
      this.#send({ flushDone: { turnId: f.turnId } });
    }
  }

  /** The socket closed: fine after completion; an error otherwise. */
  protected onSocketClosed(code: number, reason: string): void {
    this.ws = undefined;
    if (this.call.closed) {
      return;
    }
    const why = reason === '' ? 'no reason given' : reason;
    this.fail(
      new UpstreamError(
        grpcCodeForClose(code),
        `${this.provider} closed the stream (${code}): ${why}`,
      ),
    );
  }

  protected fail(err: UpstreamError): void {
    if (!this.call.closed) {
      this.call.fail(err.code, this.engine.redact(err.message, this.#target?.key));
    }
  }

  #sendAudio(audio: Buffer, start: number, end: number, durationMs: number): boolean {
    return this.#send({
      firstAudioServerTsMs: this.#firstAudioTs || nowMs(),
      audio: { audio, seq: this.#seq++, span: { start, end }, durationMs },
    });
  }

  #send(response: Omit<SynthesizeResponse, 'requestId' | 'turnId' | 'serverTsMs'>): boolean {
    return this.call.send({
      ...response,
      requestId: this.#requestId,
      turnId: this.#turnId,
      serverTsMs: nowMs(),
    });
  }
}

/** The Synthesize handler for sessions made by `create` (for embedding in any gRPC server). */
export function wsTtsHandler(
  engine: ProviderEngine,
  create: (call: TtsCall) => WsTtsSession,
): handleBidiStreamingCall<SynthesizeRequest__Output, SynthesizeResponse> {
  return (call) => {
    const session = create(new EngineCall('Synthesize', call, engine.monitor));
    call.on('data', (req: SynthesizeRequest__Output) => session.onRequest(req));
    call.on('end', () => setImmediate(() => session.onHalfClose()));
  };
}
