/**
 * SpeechToText.Recognize with pocketsphinx: one long-lived decoder per stream
 * fed in real time (decoder.ts). Each utterance the decoder prints becomes
 * SPEECH_ENDED, END_OF_UTTERANCE and a final transcript (stability 1); there
 * are no partial results. Audio at other rates than 16 kHz is resampled.
 *
 * Flush and half-close close the decoder's input (EOF), which finalises the
 * current utterance; Flush then answers FlushDone and the next audio starts a
 * new decoder. A decoder that dies on its own is counted and respawned on the
 * next audio; Cancel or the end of the call kills it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status as GrpcStatus, type handleBidiStreamingCall } from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import { Resampler } from '../../media/resample/index.js';
import type { AudioChunk__Output } from '../../generated/voicerelay/v1/AudioChunk.js';
import type { RecognitionConfig__Output } from '../../generated/voicerelay/v1/RecognitionConfig.js';
import type { RecognizeRequest__Output } from '../../generated/voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse } from '../../generated/voicerelay/v1/RecognizeResponse.js';
import { audioReadCounter } from '../shared/audio-progress.js';
import { EngineCall } from '../shared/engine-call.js';
import { Decoder, type DecoderExit } from './decoder.js';
import type { DecoderInfo, PocketsphinxEngine } from './engine.js';
import type { DecodedUtterance } from './output-parser.js';
import { CaptureTimeline } from './timeline.js';

type SttCall = EngineCall<RecognizeRequest__Output, RecognizeResponse>;

export const POCKETSPHINX_RATE_HZ = 16000;
export const ACCEPTED_RATES_HZ = [8000, 16000, 22050, 24000, 32000, 44100, 48000];

interface Slot {
  decoder: Decoder;
  timeline: CaptureTimeline;
  resampler: Resampler | undefined;
  inputSamples: number;
  lastCaptureEndMs: number;
  info: DecoderInfo | undefined;
}

export class PocketsphinxSttSession {
  readonly #call: SttCall;
  readonly #engine: PocketsphinxEngine;
  readonly #slots = new Set<Slot>();
  #requestId = '';
  #rateHz = 0;
  #args: string[] = [];
  #dir: string | undefined;
  #state: 'new' | 'configuring' | 'ready' = 'new';
  /** One audio message read: reports the count every AUDIO_PROGRESS_EVERY messages. */
  readonly #reportProgress = audioReadCounter((report) => this.#send(report));
  /** Requests (and the half-close) that arrived while the stream was being set up. */
  #early: (RecognizeRequest__Output | 'half-close')[] = [];
  #current: Slot | undefined;
  #decoders = 0;
  #restartDue = false;
  #failuresInARow = 0;
  #utterances = 0;
  #lastUtteranceEndMs = 0;
  /** Flush answers and the half-close, in request order. */
  #tail: Promise<void> = Promise.resolve();

  constructor(call: SttCall, engine: PocketsphinxEngine) {
    this.#call = call;
    this.#engine = engine;
    call.onClose(() => {
      for (const slot of this.#slots) {
        slot.decoder.kill();
      }
      const dir = this.#dir;
      if (dir !== undefined) {
        const cleaned = (): void => {
          engine.decoderEvents.emit('stream-cleaned', { requestId: this.#requestId, dir });
        };
        rm(dir, { recursive: true, force: true }).then(cleaned, cleaned);
      }
    });
  }

  onRequest(req: RecognizeRequest__Output): void {
    if (this.#call.closed) {
      return;
    }
    if (this.#state === 'new') {
      this.#state = 'configuring';
      void this.#configure(req);
      return;
    }
    if (this.#state === 'configuring') {
      this.#early.push(req);
      return;
    }
    switch (req.kind) {
      case 'audio':
        if (req.audio != null) {
          this.#onAudio(req.audio);
          this.#reportProgress();
        }
        return;
      case 'flush': {
        const turnId = req.flush?.turnId ?? '';
        const ending = this.#endCurrent();
        this.#tail = this.#tail.then(async () => {
          await ending;
          this.#send({ turnId, flushDone: { turnId } });
        });
        return;
      }
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

  /** Client half-close: finalise (EOF to the decoder), then end OK. */
  onHalfClose(): void {
    if (this.#call.closed) {
      return;
    }
    if (this.#state === 'new') {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'stream ended before the config');
      return;
    }
    if (this.#state === 'configuring') {
      this.#early.push('half-close');
      return;
    }
    const ending = this.#endCurrent();
    this.#tail = this.#tail.then(async () => {
      await ending;
      this.#call.finish();
    });
  }

  async #configure(req: RecognizeRequest__Output): Promise<void> {
    this.#requestId = req.requestId;
    this.#call.identify(req.requestId);
    if (req.kind !== 'config' || req.config == null) {
      this.#call.fail(GrpcStatus.INVALID_ARGUMENT, 'the first request must carry the config');
      return;
    }
    const grammar = req.config.grammar.trim();
    try {
      this.#args = this.#argsOf(req.config);
      this.#rateHz = req.config.sampleRateHz;
      const dir = await mkdtemp(join(this.#engine.options.tmpDir, 'voice-relay-ps-'));
      this.#dir = dir;
      if (this.#call.closed) {
        await rm(dir, { recursive: true, force: true });
        return;
      }
      if (grammar !== '') {
        const path = join(dir, 'grammar.gram');
        await writeFile(path, `${grammar}\n`, { mode: 0o600 });
        this.#args.push('-jsgf', path);
      }
    } catch (err) {
      this.#call.fail(
        GrpcStatus.INVALID_ARGUMENT,
        err instanceof Error ? err.message : String(err),
      );
      return;
    }
    this.#args.unshift(...this.#engine.modelArgs(grammar !== ''));
    if (this.#call.closed) {
      return;
    }
    this.#state = 'ready';
    this.#send({
      ready: {
        partialResults: false,
        speechEvents: false,
        grammar: true,
        sampleRatesHz: ACCEPTED_RATES_HZ,
        engine: 'pocketsphinx',
        audioProgress: true,
      },
    });
    this.#current = this.#startDecoder();
    const early = this.#early;
    this.#early = [];
    for (const r of early) {
      if (r === 'half-close') {
        this.onHalfClose();
      } else {
        this.onRequest(r);
      }
    }
  }

  #argsOf(config: RecognitionConfig__Output): string[] {
    if (config.encoding !== 'LINEAR16') {
      throw new Error(`unsupported encoding ${config.encoding}: pocketsphinx takes LINEAR16`);
    }
    const rate = config.sampleRateHz;
    if (!Number.isInteger(rate) || rate < 8000 || rate > 48000) {
      throw new Error(`unsupported sample_rate_hz ${rate} (8000..48000, resampled to 16000)`);
    }
    const args: string[] = [];
    const ep = config.endpointing;
    if (ep != null && ep.silenceMs > 0) {
      const frames = Math.min(1000, Math.max(5, Math.round(ep.silenceMs / 10)));
      args.push('-vad_postspeech', String(frames));
    }
    if (ep != null && ep.minSpeechMs > 0) {
      const frames = Math.min(100, Math.max(1, Math.round(ep.minSpeechMs / 10)));
      args.push('-vad_startspeech', String(frames));
    }
    const threshold = config.options['vad_threshold'];
    if (threshold !== undefined && threshold !== '') {
      const value = Number(threshold);
      if (!(value >= 0.5 && value <= 10)) {
        throw new Error(`option vad_threshold must be 0.5..10, got ${JSON.stringify(threshold)}`);
      }
      args.push('-vad_threshold', String(value));
    }
    return args;
  }

  #startDecoder(restart = false): Slot {
    const resampler =
      this.#rateHz === POCKETSPHINX_RATE_HZ
        ? undefined
        : new Resampler(this.#rateHz, POCKETSPHINX_RATE_HZ);
    const slot: Slot = {
      decoder: undefined as unknown as Decoder,
      timeline: new CaptureTimeline(resampler?.delayMs ?? 0),
      resampler,
      inputSamples: 0,
      lastCaptureEndMs: 0,
      info: undefined,
    };
    slot.decoder = new Decoder({
      binary: this.#engine.options.binary,
      dir: this.#dir ?? this.#engine.options.tmpDir,
      index: this.#decoders++,
      args: this.#args,
      onUtterance: (u) => this.#onUtterance(slot, u),
      onExit: (exit) => this.#onExit(slot, exit),
    });
    this.#slots.add(slot);
    slot.decoder.start().then(
      () => {
        const pid = slot.decoder.pid;
        if (pid !== undefined && !this.#call.closed) {
          slot.info = this.#engine.decoderStarted(pid, this.#requestId, restart);
        }
      },
      (err: unknown) => {
        this.#call.fail(
          GrpcStatus.INTERNAL,
          `cannot start pocketsphinx: ${err instanceof Error ? err.message : String(err)}`,
        );
      },
    );
    return slot;
  }

  #onAudio(chunk: AudioChunk__Output): void {
    let slot = this.#current;
    if (slot === undefined || !slot.decoder.alive) {
      slot = this.#startDecoder(this.#restartDue);
      this.#restartDue = false;
      this.#current = slot;
    }
    const pcm = (chunk.audio.length & 1) === 0 ? chunk.audio : chunk.audio.subarray(0, -1);
    const samples = pcm.length >> 1;
    slot.timeline.add((slot.inputSamples * POCKETSPHINX_RATE_HZ) / this.#rateHz, chunk.captureTsMs);
    slot.inputSamples += samples;
    slot.lastCaptureEndMs = chunk.captureTsMs + (samples * 1000) / this.#rateHz;
    slot.decoder.write(slot.resampler === undefined ? pcm : slot.resampler.process(pcm));
  }

  /** EOF to the current decoder (resolves once its last utterance was sent). */
  #endCurrent(): Promise<void> {
    const slot = this.#current;
    this.#current = undefined;
    if (slot === undefined) {
      return Promise.resolve();
    }
    if (slot.resampler !== undefined) {
      slot.decoder.write(slot.resampler.flush());
    }
    return slot.decoder.end();
  }

  #onUtterance(slot: Slot, u: DecodedUtterance): void {
    if (this.#call.closed || u.text === '') {
      return;
    }
    this.#failuresInARow = 0;
    const no = ++this.#utterances;
    const first = u.words[0];
    const last = u.words[u.words.length - 1];
    const endTsMs =
      (last !== undefined ? slot.timeline.captureMsAt(last.endSec) : undefined) ??
      slot.lastCaptureEndMs;
    const startTsMs =
      (first !== undefined ? slot.timeline.captureMsAt(first.startSec) : undefined) ??
      this.#lastUtteranceEndMs;
    this.#lastUtteranceEndMs = endTsMs;
    const confidence =
      u.words.length === 0 ? 0 : u.words.reduce((s, w) => s + w.posterior, 0) / u.words.length;
    this.#send({ speechEvent: { type: 'SPEECH_ENDED', audioTsMs: endTsMs, utterance: no } });
    if (slot.decoder.alive) {
      this.#send({
        speechEvent: {
          type: 'END_OF_UTTERANCE',
          audioTsMs: slot.lastCaptureEndMs,
          utterance: no,
        },
      });
    }
    this.#send({
      transcript: {
        text: u.text,
        isFinal: true,
        stability: 1,
        confidence: Math.min(1, Math.max(0, confidence)),
        startTsMs,
        endTsMs,
        utterance: no,
        firstResultServerTsMs: nowMs(),
      },
    });
  }

  #onExit(slot: Slot, exit: DecoderExit): void {
    this.#slots.delete(slot);
    if (slot.info !== undefined) {
      this.#engine.decoderExited(slot.info, exit);
    }
    if (this.#call.closed || exit.expected) {
      return;
    }
    if (this.#current === slot) {
      this.#current = undefined;
    }
    if (slot.decoder.pid === undefined) {
      this.#call.fail(GrpcStatus.INTERNAL, `cannot run ${this.#engine.options.binary}`);
      return;
    }
    const first = this.#decoders === 1;
    if (first && exit.signal === null && exit.code !== 0 && exit.utterances === 0) {
      this.#call.fail(
        GrpcStatus.INVALID_ARGUMENT,
        `pocketsphinx_continuous exited with code ${exit.code} at start: check the grammar and options`,
      );
      return;
    }
    this.#failuresInARow++;
    if (this.#failuresInARow >= this.#engine.options.maxConsecutiveFailures) {
      this.#call.fail(
        GrpcStatus.UNAVAILABLE,
        `pocketsphinx decoder died ${this.#failuresInARow} times in a row`,
      );
      return;
    }
    this.#restartDue = true;
  }

  #send(response: Omit<RecognizeResponse, 'requestId' | 'serverTsMs'>): void {
    this.#call.send({ ...response, requestId: this.#requestId, serverTsMs: nowMs() });
  }
}

/** The Recognize handler of a pocketsphinx engine (for embedding in any gRPC server). */
export function pocketsphinxRecognizeHandler(
  engine: PocketsphinxEngine,
): handleBidiStreamingCall<RecognizeRequest__Output, RecognizeResponse> {
  return (call) => {
    const session = new PocketsphinxSttSession(
      new EngineCall('Recognize', call, engine.monitor),
      engine,
    );
    call.on('data', (req: RecognizeRequest__Output) => session.onRequest(req));
    call.on('end', () => setImmediate(() => session.onHalfClose()));
  };
}
