/**
 * TextToSpeech.Synthesize bridged to ElevenLabs input streaming
 * (`{baseUrl}/v1/text-to-speech/{voice}/stream-input`, one socket per call,
 * key in the `xi-api-key` handshake header).
 *
 * The first message sets the voice (`text:" "`, voice settings, speed from
 * speaking_rate); each TextChunk goes out verbatim with `flush:true` (the relay
 * already cuts the reply into phrases, so each is generated at once); Flush
 * sends a flushing space; half-close sends `{"text":""}` and the call ends
 * with SynthesisDone at `isFinal`. Audio is raw PCM (`pcm_<rate>`) or
 * µ-law/A-law at 8 kHz. The character `alignment` (ms relative to its chunk)
 * is mapped onto our text and the audio cut at word ends, so spans are exact;
 * `normalizedAlignment` is used only when `alignment` is absent. Spelling
 * drift is accepted (`charsDurationsMs`/`charDurationsMs`, `isFinal`/`is_final`).
 * An error message (`{"error","message"}`, then close 1008) maps to a gRPC
 * status with the provider's message.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { SynthesisConfig__Output } from '../../generated/voicerelay/v1/SynthesisConfig.js';
import { UpstreamError } from '../openai/upstream.js';
import { boolOption, numberOpt } from '../speech-bridge/provider.js';
import { WsTtsSession, wsTtsHandler, type WsTtsTarget } from '../speech-bridge/ws-tts-session.js';
import type { ElevenLabsEngine } from './engine.js';

const PCM_RATES = new Set([8000, 16000, 22050, 24000, 44100, 48000]);
const VOICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** ElevenLabs error names → gRPC status. */
const ERROR_CODES: Readonly<Record<string, GrpcStatus>> = {
  input_timeout_exceeded: GrpcStatus.DEADLINE_EXCEEDED,
  max_active_conversations: GrpcStatus.RESOURCE_EXHAUSTED,
  quota_exceeded: GrpcStatus.RESOURCE_EXHAUSTED,
  rate_limit_exceeded: GrpcStatus.RESOURCE_EXHAUSTED,
  too_many_concurrent_requests: GrpcStatus.RESOURCE_EXHAUSTED,
  invalid_api_key: GrpcStatus.UNAUTHENTICATED,
  unauthorized: GrpcStatus.UNAUTHENTICATED,
  voice_not_found: GrpcStatus.NOT_FOUND,
  model_not_found: GrpcStatus.NOT_FOUND,
};

interface Alignment {
  chars?: unknown;
  charStartTimesMs?: unknown;
  charsStartTimesMs?: unknown;
  charsDurationsMs?: unknown;
  charDurationsMs?: unknown;
}

export class ElevenLabsTtsSession extends WsTtsSession {
  protected readonly provider = 'elevenlabs';
  #init: Record<string, unknown> = { text: ' ' };
  #providerError: UpstreamError | undefined;

  protected target(config: SynthesisConfig__Output): WsTtsTarget {
    const engine = this.engine as ElevenLabsEngine;
    const call = engine.callOptions(config.options);
    const key = engine.apiKey(engine.keyEnvOf(call));
    const voice = call.get('voice_id') ?? config.voice;
    if (!VOICE_ID.test(voice)) {
      throw new UpstreamError(
        GrpcStatus.INVALID_ARGUMENT,
        `the voice must be an ElevenLabs voice id, got ${JSON.stringify(voice)}`,
      );
    }
    const rate = config.sampleRateHz;
    let format: string;
    let bytesPerSample = 2;
    if (config.encoding === 'LINEAR16' && PCM_RATES.has(rate)) {
      format = `pcm_${rate}`;
    } else if ((config.encoding === 'MULAW' || config.encoding === 'ALAW') && rate === 8000) {
      format = config.encoding === 'MULAW' ? 'ulaw_8000' : 'alaw_8000';
      bytesPerSample = 1;
    } else {
      throw new UpstreamError(
        GrpcStatus.INVALID_ARGUMENT,
        `unsupported output ${config.encoding} at ${rate} Hz (LINEAR16 at 8000, 16000, 22050, 24000, 44100 or 48000; MULAW/ALAW at 8000)`,
      );
    }
    const q = new URLSearchParams({
      model_id: call.get('model_id') ?? engine.defaultModel,
      output_format: format,
    });
    const timeout = numberOpt(call, 'inactivity_timeout', engine.prefix, 1, 180);
    if (timeout !== undefined) {
      q.set('inactivity_timeout', String(timeout));
    }
    const lang = call.get('language_code');
    if (lang !== undefined) {
      q.set('language_code', lang);
    }
    const settings: Record<string, unknown> = {};
    for (const name of ['stability', 'similarity_boost', 'style'] as const) {
      const v = numberOpt(call, name, engine.prefix, 0, 1);
      if (v !== undefined) {
        settings[name] = v;
      }
    }
    const boost = boolOption(call, 'use_speaker_boost', engine.prefix);
    if (boost !== undefined) {
      settings['use_speaker_boost'] = boost;
    }
    if (config.speakingRate > 0 && Math.abs(config.speakingRate - 1) > 1e-3) {
      settings['speed'] = Math.min(1.2, Math.max(0.7, Number(config.speakingRate.toFixed(3))));
    }
    this.#init = {
      text: ' ',
      ...(Object.keys(settings).length > 0 ? { voice_settings: settings } : {}),
    };
    const headers: Record<string, string> = {};
    if (key !== undefined) {
      headers['xi-api-key'] = key;
    }
    const base = engine.options.baseUrl.replace(/^http/, 'ws');
    return {
      url: `${base}/v1/text-to-speech/${voice}/stream-input?${q.toString()}`,
      headers,
      key,
      bytesPerSample,
      rateHz: rate,
    };
  }

  protected openingMessages(): unknown[] {
    return [this.#init];
  }

  protected textMessage(text: string): unknown {
    return { text, flush: true };
  }

  protected flushMessage(): unknown {
    return { text: ' ', flush: true };
  }

  protected endMessage(): unknown {
    return { text: '' };
  }

  protected onProviderMessage(msg: Record<string, unknown>): void {
    if (
      typeof msg['error'] === 'string' ||
      (typeof msg['message'] === 'string' && !('audio' in msg))
    ) {
      const name = typeof msg['error'] === 'string' ? msg['error'] : '';
      const text = typeof msg['message'] === 'string' ? msg['message'] : name;
      this.#providerError = new UpstreamError(
        ERROR_CODES[name] ?? GrpcStatus.INVALID_ARGUMENT,
        `elevenlabs error${name === '' ? '' : ` ${name}`}: ${text}`,
      );
      return;
    }
    const audio = msg['audio'];
    if (typeof audio === 'string' && audio !== '') {
      const alignment = (msg['alignment'] ?? msg['normalizedAlignment']) as
        Alignment | null | undefined;
      this.#align(alignment);
      this.audio(Buffer.from(audio, 'base64'));
    }
    if (msg['isFinal'] === true || msg['is_final'] === true) {
      this.complete();
    }
  }

  /** Word ends of this chunk's alignment, as marks in stream time. */
  #align(a: Alignment | null | undefined): void {
    const cutter = this.cutter;
    if (a == null || cutter === undefined) {
      return;
    }
    const chars = Array.isArray(a.chars) ? a.chars : [];
    const starts = numbers(a.charStartTimesMs ?? a.charsStartTimesMs);
    const durations = numbers(a.charsDurationsMs ?? a.charDurationsMs);
    const chunkStartMs = cutter.audioMs;
    chars.forEach((ch, i) => {
      if (typeof ch !== 'string') {
        return;
      }
      const at = this.aligner.locateChar(ch);
      if (at !== undefined) {
        cutter.mark(chunkStartMs + (starts[i] ?? 0) + (durations[i] ?? 0), at + 1);
      }
    });
  }

  protected override onSocketClosed(code: number, reason: string): void {
    if (this.#providerError !== undefined && !this.call.closed) {
      this.fail(this.#providerError);
      return;
    }
    super.onSocketClosed(code, reason);
  }
}

function numbers(v: unknown): number[] {
  return Array.isArray(v)
    ? v.map((x) => (typeof x === 'number' && Number.isFinite(x) ? x : 0))
    : [];
}

export function elevenLabsSynthesizeHandler(engine: ElevenLabsEngine) {
  return wsTtsHandler(engine, (call) => new ElevenLabsTtsSession(call, engine));
}
