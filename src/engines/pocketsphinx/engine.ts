/** Options, counters and decoder bookkeeping shared by every call of one pocketsphinx engine. */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { EventEmitter } from 'node:events';
import { nowMs } from '../../core/clock.js';
import { EngineMonitor, EngineStats, waitForEvent } from '../shared/engine-monitor.js';
import { findBinary } from '../shared/processes.js';

export interface PocketsphinxEngineOptions {
  /** Decoder binary (default `pocketsphinx_continuous` on PATH). */
  binary?: string;
  /** Acoustic model folder (-hmm); default: the one compiled into the binary. */
  hmm?: string;
  /** Language model (-lm); default: compiled in. Ignored when a call sends a grammar. */
  lm?: string;
  /** Pronunciation dictionary (-dict); default: compiled in. */
  dict?: string;
  /** Where per-stream folders (FIFO, grammar) are created (default os.tmpdir()). */
  tmpDir?: string;
  /** Decoder deaths in a row without a transcript before the call fails UNAVAILABLE (default 3). */
  maxConsecutiveFailures?: number;
}

export interface ResolvedPocketsphinxOptions {
  binary: string;
  hmm: string | undefined;
  lm: string | undefined;
  dict: string | undefined;
  tmpDir: string;
  maxConsecutiveFailures: number;
}

/** Where Debian's pocketsphinx-en-us puts the model the binary has compiled in. */
export const DEBIAN_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us/en-us';

export class PocketsphinxStats extends EngineStats {
  /** Decoder processes started (one per stream, plus restarts and one after each Flush). */
  decodersStarted = 0;
  /** Decoders that died on their own mid-stream. */
  decoderFailures = 0;
  /** Decoders respawned after such a death. */
  decoderRestarts = 0;
}

export interface DecoderInfo {
  pid: number;
  requestId: string;
  startedAtMs: number;
}

export interface DecoderEvents {
  'decoder-started': [DecoderInfo];
  'decoder-exited': [
    DecoderInfo & {
      exitedAtMs: number;
      expected: boolean;
      code: number | null;
      signal: NodeJS.Signals | null;
    },
  ];
  'decoder-restarted': [DecoderInfo];
  /** A stream's folder (FIFOs, grammar) was removed after its call ended. */
  'stream-cleaned': [{ requestId: string; dir: string }];
}

/** True when pocketsphinx_continuous and mkfifo are on PATH and a model is installed. */
export function isPocketsphinxAvailable(options: PocketsphinxEngineOptions = {}): boolean {
  return (
    findBinary(options.binary ?? 'pocketsphinx_continuous') !== undefined &&
    findBinary('mkfifo') !== undefined &&
    existsSync(options.hmm ?? DEBIAN_MODEL_DIR)
  );
}

export class PocketsphinxEngine {
  readonly options: ResolvedPocketsphinxOptions;
  readonly monitor: EngineMonitor<PocketsphinxStats>;
  readonly decoderEvents = new EventEmitter<DecoderEvents>();
  readonly #running = new Map<number, DecoderInfo>();

  constructor(options: PocketsphinxEngineOptions = {}) {
    this.options = {
      binary: options.binary ?? 'pocketsphinx_continuous',
      hmm: options.hmm,
      lm: options.lm,
      dict: options.dict,
      tmpDir: options.tmpDir ?? tmpdir(),
      maxConsecutiveFailures: options.maxConsecutiveFailures ?? 3,
    };
    this.monitor = new EngineMonitor('pocketsphinx', new PocketsphinxStats());
    this.decoderEvents.setMaxListeners(0);
  }

  /** Pids of the decoder processes running now. */
  decoderPids(): number[] {
    return [...this.#running.keys()];
  }

  /** Decoder arguments from the engine options (model paths). */
  modelArgs(withGrammar: boolean): string[] {
    const o = this.options;
    return [
      ...(o.hmm !== undefined ? ['-hmm', o.hmm] : []),
      ...(o.lm !== undefined && !withGrammar ? ['-lm', o.lm] : []),
      ...(o.dict !== undefined ? ['-dict', o.dict] : []),
    ];
  }

  /** @internal */
  decoderStarted(pid: number, requestId: string, restart: boolean): DecoderInfo {
    const info = { pid, requestId, startedAtMs: nowMs() };
    this.#running.set(pid, info);
    this.monitor.stats.decodersStarted++;
    if (restart) {
      this.monitor.stats.decoderRestarts++;
    }
    this.decoderEvents.emit('decoder-started', info);
    if (restart) {
      this.decoderEvents.emit('decoder-restarted', info);
    }
    return info;
  }

  /** @internal */
  decoderExited(
    info: DecoderInfo,
    exit: { expected: boolean; code: number | null; signal: NodeJS.Signals | null },
  ): void {
    this.#running.delete(info.pid);
    if (!exit.expected) {
      this.monitor.stats.decoderFailures++;
    }
    this.decoderEvents.emit('decoder-exited', { ...info, ...exit, exitedAtMs: nowMs() });
  }

  waitForDecoder<E extends keyof DecoderEvents>(
    event: E,
    predicate: (...args: DecoderEvents[E]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<DecoderEvents[E][0]> {
    return waitForEvent(this.decoderEvents, event, predicate, timeoutMs);
  }
}
