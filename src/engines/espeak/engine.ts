/** Options, counters and process bookkeeping shared by every call of one espeak-ng engine. */
import { EventEmitter } from 'node:events';
import { nowMs } from '../../core/clock.js';
import { EngineMonitor, EngineStats, waitForEvent } from '../shared/engine-monitor.js';
import { findBinary } from '../shared/processes.js';

export interface EspeakEngineOptions {
  /** espeak-ng binary (default `espeak-ng` on PATH). */
  binary?: string;
  /** Voice when the config names none and gives no language (default en-us). */
  defaultVoice?: string;
  /** Audio per AudioOut chunk; a phrase's last chunk may be shorter (default 100). */
  chunkMs?: number;
  /** Text before a whitespace that is synthesised as a phrase without punctuation (default 24). */
  minPhraseChars?: number;
  /** Longest phrase without a break (default 400). */
  maxPhraseChars?: number;
  /** Text limit per stream (default 65536 UTF-16 code units) → RESOURCE_EXHAUSTED. */
  maxTextChars?: number;
}

export type ResolvedEspeakOptions = Required<EspeakEngineOptions>;

export const ESPEAK_DEFAULTS: ResolvedEspeakOptions = {
  binary: 'espeak-ng',
  defaultVoice: 'en-us',
  chunkMs: 100,
  minPhraseChars: 24,
  maxPhraseChars: 400,
  maxTextChars: 65_536,
};

export class EspeakStats extends EngineStats {
  /** espeak-ng processes started (one per phrase). */
  processesStarted = 0;
  /** espeak-ng processes killed by Cancel or the end of a call. */
  processesKilled = 0;
  /** Phrases whose process failed (bad voice, crash). */
  processFailures = 0;
}

export interface EspeakProcessInfo {
  pid: number;
  requestId: string;
  /** [start, end) of the phrase in the stream's text. */
  start: number;
  end: number;
  startedAtMs: number;
}

export interface EspeakProcessEvents {
  'process-started': [EspeakProcessInfo];
  'process-exited': [EspeakProcessInfo & { exitedAtMs: number; killed: boolean; ok: boolean }];
}

/** True when espeak-ng is on PATH (or at `binary`). */
export function isEspeakAvailable(binary = ESPEAK_DEFAULTS.binary): boolean {
  return findBinary(binary) !== undefined;
}

export class EspeakEngine {
  readonly options: ResolvedEspeakOptions;
  readonly monitor: EngineMonitor<EspeakStats>;
  readonly processEvents = new EventEmitter<EspeakProcessEvents>();
  readonly #running = new Map<number, EspeakProcessInfo>();

  constructor(options: EspeakEngineOptions = {}) {
    const defined = Object.fromEntries(
      Object.entries(options).filter(([, v]) => v !== undefined),
    ) as EspeakEngineOptions;
    this.options = { ...ESPEAK_DEFAULTS, ...defined };
    if (!(this.options.chunkMs >= 5 && this.options.chunkMs <= 1000)) {
      throw new RangeError(`chunkMs must be 5..1000, got ${this.options.chunkMs}`);
    }
    this.monitor = new EngineMonitor('espeak', new EspeakStats());
    this.processEvents.setMaxListeners(0);
  }

  /** Pids of the espeak-ng processes running now. */
  activePids(): number[] {
    return [...this.#running.keys()];
  }

  /** @internal */
  processStarted(info: Omit<EspeakProcessInfo, 'startedAtMs'>): EspeakProcessInfo {
    const full = { ...info, startedAtMs: nowMs() };
    this.#running.set(info.pid, full);
    this.monitor.stats.processesStarted++;
    this.processEvents.emit('process-started', full);
    return full;
  }

  /** @internal */
  processExited(info: EspeakProcessInfo, killed: boolean, ok: boolean): void {
    this.#running.delete(info.pid);
    if (killed) {
      this.monitor.stats.processesKilled++;
    } else if (!ok) {
      this.monitor.stats.processFailures++;
    }
    this.processEvents.emit('process-exited', { ...info, exitedAtMs: nowMs(), killed, ok });
  }

  waitForProcess<E extends keyof EspeakProcessEvents>(
    event: E,
    predicate: (...args: EspeakProcessEvents[E]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<EspeakProcessEvents[E][0]> {
    return waitForEvent(this.processEvents, event, predicate, timeoutMs);
  }
}
