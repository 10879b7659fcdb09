import { status as GrpcStatus } from '@grpc/grpc-js';
import type { RecognitionConfig__Output } from '../../generated/voicerelay/v1/RecognitionConfig.js';
import { UpstreamError } from '../openai/upstream.js';
import { boolOption, numberOpt } from '../speech-bridge/provider.js';
import type { DeepgramEngine } from './engine.js';

const ENCODINGS: Readonly<Record<string, { name: string; bytesPerSample: number }>> = {
  LINEAR16: { name: 'linear16', bytesPerSample: 2 },
  MULAW: { name: 'mulaw', bytesPerSample: 1 },
  ALAW: { name: 'alaw', bytesPerSample: 1 },
};
/** Options the bridge sets itself (a call cannot override them as raw query params). */
const OWN_PARAMS = new Set([
  'apiKeyEnv',
  'encoding',
  'sample_rate',
  'channels',
  'interim_results',
  'vad_events',
]);

export interface DeepgramListen {
  /** `{baseUrl}/v1/listen?…` as a ws(s) URL. */
  url: string;
  /** The API key of the call (undefined when the engine has none, as with the fake). */
  key: string | undefined;
  bytesPerSample: number;
  rateHz: number;
}

/**
 * The live-streaming URL of one Recognize call: its recognition config and call options as
 * Deepgram query parameters. Throws INVALID_ARGUMENT for what Deepgram cannot take.
 */
export function deepgramListen(
  engine: DeepgramEngine,
  config: RecognitionConfig__Output,
): DeepgramListen {
  const call = engine.callOptions(config.options);
  const key = engine.apiKey(engine.keyEnvOf(call));
  const enc = ENCODINGS[config.encoding];
  if (enc === undefined) {
    throw new UpstreamError(
      GrpcStatus.INVALID_ARGUMENT,
      `unsupported encoding ${config.encoding} (LINEAR16, MULAW or ALAW)`,
    );
  }
  const rate = config.sampleRateHz;
  if (!Number.isInteger(rate) || rate < 8000 || rate > 48000) {
    throw new UpstreamError(
      GrpcStatus.INVALID_ARGUMENT,
      `unsupported sample_rate_hz ${rate} (8000..48000)`,
    );
  }
  const q = new URLSearchParams();
  q.set('model', call.get('model') ?? engine.defaultModel);
  q.set('encoding', enc.name);
  q.set('sample_rate', String(rate));
  q.set('channels', '1');
  q.set('interim_results', 'true');
  q.set('vad_events', 'true');
  if (config.language !== '') {
    q.set('language', config.language);
  }
  const silenceMs = config.endpointing?.silenceMs ?? 0;
  if (silenceMs > 0) {
    q.set('endpointing', String(silenceMs));
  }
  const utteranceEnd =
    numberOpt(call, 'utterance_end_ms', engine.prefix, 1000, 60_000) ??
    Math.max(1000, silenceMs * 2);
  q.set('utterance_end_ms', String(Math.round(utteranceEnd)));
  boolOption(call, 'smart_format', engine.prefix);
  for (const [k, v] of call) {
    if (OWN_PARAMS.has(k) || k === 'model' || k === 'utterance_end_ms') {
      continue;
    }
    if (!/^[a-z_]{1,40}$/.test(k)) {
      throw new UpstreamError(
        GrpcStatus.INVALID_ARGUMENT,
        `option ${engine.prefix}.${k} is not a Deepgram query parameter`,
      );
    }
    // Lists repeat the key (keyterm=a&keyterm=b).
    for (const item of k === 'keyterm' || k === 'keywords' || k === 'tag' ? v.split('|') : [v]) {
      q.append(k, item);
    }
  }
  const base = engine.options.baseUrl.replace(/^http/, 'ws');
  return {
    url: `${base}/v1/listen?${q.toString()}`,
    key,
    bytesPerSample: enc.bytesPerSample,
    rateHz: rate,
  };
}
