/**
 * TextToSpeech.Synthesize bridged to Cartesia's TTS WebSocket
 * (`{baseUrl}/tts/websocket`, one socket and one context per call,
 * `Authorization: Bearer` + `Cartesia-Version` at the handshake).
 *
 * Every TextChunk becomes an input of the context (`continue:true`, the
 * transcript verbatim, all other fields repeated, `add_timestamps:true`,
 * `max_buffer_delay_ms:0` since the relay already sends phrases); Flush sends
 * `flush:true`; half-close sends `continue:false` and the call ends at `done`.
 * Raw `pcm_s16le`/`pcm_mulaw`/`pcm_alaw` audio; `word_timestamps` (seconds
 * from the context start) are located in our text and the audio cut at each
 * word end, so spans are exact per word (a word whose timestamps come after
 * its audio is claimed on the next piece: late, never early). Messages of
 * other contexts are ignored; a cancelled call sends `cancel` for its context
 * before closing. `error` messages map by `status_code` with Cartesia's
 * title and message.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { SynthesisConfig__Output } from '../../generated/voicerelay/v1/SynthesisConfig.js';
import { grpcCodeForHttp, UpstreamError } from '../openai/upstream.js';
import { numberOpt } from '../speech-bridge/provider.js';
import { WsTtsSession, wsTtsHandler, type WsTtsTarget } from '../speech-bridge/ws-tts-session.js';
import { sendJson } from '../speech-bridge/ws-upstream.js';
import type { CartesiaEngine } from './engine.js';

const RATES = new Set([8000, 16000, 22050, 24000, 44100, 48000]);
const ENCODING: Readonly<Record<string, [string, number]>> = {
  LINEAR16: ['pcm_s16le', 2],
  MULAW: ['pcm_mulaw', 1],
  ALAW: ['pcm_alaw', 1],
};

export class CartesiaTtsSession extends WsTtsSession {
  protected readonly provider = 'cartesia';
  #base: Record<string, unknown> = {};
  #contextId = '';
  #done = false;

  protected target(config: SynthesisConfig__Output): WsTtsTarget {
    const engine = this.engine as CartesiaEngine;
    const call = engine.callOptions(config.options);
    const key = engine.apiKey(engine.keyEnvOf(call));
    const voice = call.get('voice_id') ?? config.voice;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(voice)) {
      throw new UpstreamError(
        GrpcStatus.INVALID_ARGUMENT,
        `the voice must be a Cartesia voice id, got ${JSON.stringify(voice)}`,
      );
    }
    const enc = ENCODING[config.encoding];
    if (enc === undefined || !RATES.has(config.sampleRateHz)) {
      throw new UpstreamError(
        GrpcStatus.INVALID_ARGUMENT,
        `unsupported output ${config.encoding} at ${config.sampleRateHz} Hz (LINEAR16, MULAW or ALAW at 8000, 16000, 22050, 24000, 44100 or 48000)`,
      );
    }
    this.#contextId = engine.nextContextId();
    const generation: Record<string, unknown> = {};
    if (config.speakingRate > 0 && Math.abs(config.speakingRate - 1) > 1e-3) {
      generation['speed'] = Math.min(1.5, Math.max(0.6, Number(config.speakingRate.toFixed(3))));
    }
    const volume = numberOpt(call, 'volume', engine.prefix, 0.5, 2);
    if (volume !== undefined) {
      generation['volume'] = volume;
    }
    const language = call.get('language') ?? config.language.split('-')[0] ?? '';
    this.#base = {
      context_id: this.#contextId,
      model_id: call.get('model_id') ?? engine.defaultModel,
      voice: { mode: 'id', id: voice },
      output_format: { container: 'raw', encoding: enc[0], sample_rate: config.sampleRateHz },
      add_timestamps: true,
      max_buffer_delay_ms: numberOpt(call, 'max_buffer_delay_ms', engine.prefix, 0, 5000) ?? 0,
      ...(language === '' ? {} : { language }),
      ...(Object.keys(generation).length > 0 ? { generation_config: generation } : {}),
    };
    const headers: Record<string, string> = { 'cartesia-version': engine.version };
    if (key !== undefined) {
      headers['authorization'] = `Bearer ${key}`;
    }
    const base = engine.options.baseUrl.replace(/^http/, 'ws');
    return {
      url: `${base}/tts/websocket`,
      headers,
      key,
      bytesPerSample: enc[1],
      rateHz: config.sampleRateHz,
    };
  }

  protected openingMessages(): unknown[] {
    return [];
  }

  protected textMessage(text: string): unknown {
    return { ...this.#base, transcript: text, continue: true };
  }

  protected flushMessage(): unknown {
    return { ...this.#base, transcript: '', continue: true, flush: true };
  }

  protected endMessage(): unknown {
    return { ...this.#base, transcript: '', continue: false };
  }

  protected override onCallEnded(): void {
    if (!this.#done) {
      sendJson(this.ws, { context_id: this.#contextId, cancel: true });
    }
  }

  protected onProviderMessage(msg: Record<string, unknown>): void {
    if (msg['context_id'] !== undefined && msg['context_id'] !== this.#contextId) {
      return;
    }
    switch (msg['type']) {
      case 'chunk':
        if (typeof msg['data'] === 'string') {
          this.audio(Buffer.from(msg['data'], 'base64'));
        }
        return;
      case 'timestamps':
        this.#words(msg['word_timestamps']);
        return;
      case 'done':
        this.#done = true;
        this.complete();
        return;
      case 'error': {
        this.#done = true;
        const status = typeof msg['status_code'] === 'number' ? msg['status_code'] : 500;
        const parts = [msg['error_code'], msg['title'], msg['message']].filter(
          (p): p is string => typeof p === 'string' && p !== '',
        );
        this.fail(
          new UpstreamError(
            grpcCodeForHttp(status),
            `cartesia error ${status}: ${parts.join(': ')}`,
          ),
        );
        return;
      }
      default:
        // flush_done, phoneme_timestamps: nothing to map.
        return;
    }
  }

  #words(raw: unknown): void {
    const cutter = this.cutter;
    if (raw === null || typeof raw !== 'object' || cutter === undefined) {
      return;
    }
    const w = raw as { words?: unknown; end?: unknown };
    const words: unknown[] = Array.isArray(w.words) ? w.words : [];
    const ends: unknown[] = Array.isArray(w.end) ? w.end : [];
    words.forEach((word, i) => {
      const endSec = ends[i];
      if (typeof word !== 'string' || typeof endSec !== 'number') {
        return;
      }
      const end = this.aligner.locateWord(word);
      if (end !== undefined) {
        cutter.mark(endSec * 1000, end);
      }
    });
  }
}

export function cartesiaSynthesizeHandler(engine: CartesiaEngine) {
  return wsTtsHandler(engine, (call) => new CartesiaTtsSession(call, engine));
}
