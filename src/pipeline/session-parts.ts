import { EchoFilter } from './echo-filter.js';
import type { Logger } from 'pino';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { ServerEvent } from '../frames/events.js';
import type { Metrics } from '../observability/metrics.js';
import { EnergyVad, type VadEvent } from '../media/vad/energy-vad.js';
import { createVad, type VoiceDetector } from '../media/vad/index.js';
import type { SttDropReason } from '../stages/stage-ports.js';
import { nowMs } from '../core/clock.js';
import { TurnTaking } from './turn-taking.js';
import { createTurnDetector } from './turn-detection/index.js';

const DROP_REPORT_INTERVAL_MS = 1_000;
const DROP_CAUSES: Record<SttDropReason, string> = {
  stt_backpressure: 'the STT stage is behind by more than the uplink budget',
  stt_unavailable: 'the STT stage is unavailable',
  stt_restart: 'the engine had not read them when its stream was given up after a missed budget',
};

/** The energy VAD of a session: the detector until (and unless) a model VAD loads. */
export function energyVadFor(config: PipelineConfig): EnergyVad {
  return new EnergyVad({
    minSpeechMs: config.vad.minSpeechMs,
    minSilenceMs: config.vad.minSilenceMs,
    ...(config.vad.engine === 'energy' && config.vad.threshold !== undefined
      ? { thresholdDbfs: config.vad.threshold }
      : {}),
  });
}

/** The turn-taking policy of a session, from its pipeline's endpoint and interruption settings. */
export function turnTakingFor(
  config: PipelineConfig,
  sessionId: string,
  metrics: Metrics,
): TurnTaking {
  return new TurnTaking({
    detector: createTurnDetector(config, sessionId, (e) => {
      if (e === 'fallback') {
        metrics.turnDetectorFallbacks.labels(config.name).inc();
      }
    }),
    minDelayMs: config.endpoint.minDelayMs,
    maxDelayMs: config.endpoint.maxDelayMs,
    interruptions: config.interruptions.enabled,
    minInterruptSpeechMs: config.interruptions.minSpeechMs,
    transcriptWaitMs: config.interruptions.transcriptWaitMs,
    backchannels: config.interruptions.backchannels,
    preemptive: config.preemptive.enabled,
    preemptiveMinStability: config.preemptive.minStability,
    ...(config.echo.enabled
      ? { echo: new EchoFilter(config.echo.windowMs, config.echo.minSimilarity, metrics) }
      : {}),
  });
}

/**
 * Load the Silero VAD in the background; `onLoaded` gets it (or its energy fallback).
 * A load failure is logged and the session keeps the energy VAD.
 */
export function loadModelVad(
  config: PipelineConfig,
  logger: Logger,
  onVad: (ev: VadEvent) => void,
  onLoaded: (detector: VoiceDetector) => void,
): void {
  const v = config.vad;
  createVad(
    {
      engine: 'silero',
      sampleRateHz: config.audio.sampleRateHz,
      minSpeechMs: v.minSpeechMs,
      minSilenceMs: v.minSilenceMs,
      ...(v.threshold === undefined ? {} : { threshold: v.threshold }),
    },
    {
      onEvent: onVad,
      onError: (err) => logger.warn({ err: String(err) }, 'vad handler failed'),
    },
  ).then(onLoaded, (err: unknown) =>
    logger.warn({ err: String(err) }, 'vad load failed, using energy vad'),
  );
}

/** Dropped caller audio: told to the client at most once a second, with the count. */
export class AudioDropReporter {
  readonly #logger: Logger;
  readonly #emit: (event: ServerEvent) => void;
  /** Caller audio dropped since the last `error` event about it; when that event went. */
  #unreported = 0;
  #reportedAtMs = -Infinity;
  #reason: SttDropReason = 'stt_backpressure';
  #pending: NodeJS.Timeout | undefined;

  constructor(logger: Logger, emit: (event: ServerEvent) => void) {
    this.#logger = logger;
    this.#emit = emit;
  }

  dropped(reason: SttDropReason, frames = 1): void {
    this.#unreported += frames;
    this.#reason = reason;
    const waitMs = this.#reportedAtMs + DROP_REPORT_INTERVAL_MS - nowMs();
    if (waitMs <= 0) {
      this.#report();
    } else if (this.#pending === undefined) {
      // Drops inside the interval are told when it ends (one timer, only while dropping).
      this.#pending = setTimeout(() => this.#report(), waitMs);
      this.#pending.unref();
    }
  }

  /** Stop telling (the session is over). */
  close(): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
  }

  #report(): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
    const frames = this.#unreported;
    if (frames === 0) {
      return;
    }
    this.#reportedAtMs = nowMs();
    this.#unreported = 0;
    const reason = this.#reason;
    this.#logger.warn({ reason, frames }, 'caller audio dropped');
    this.#emit({
      type: 'error',
      code: 'RELAY_ERR_AUDIO_DROPPED',
      message: `${frames} frame(s) of caller audio dropped: ${DROP_CAUSES[reason]}`,
    });
  }
}
