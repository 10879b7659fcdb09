import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { PipelineConfig } from '../config/pipeline-schema.js';
import type { AudioFrame } from '../frames/frames.js';
import { nowMs } from '../core/clock.js';
import { createUplink, type UplinkBuffer } from '../media/uplink/uplink.js';
import type { JitterStats } from '../media/jitter/jitter-buffer.js';
import {
  SessionPipeline,
  type PipelineDeps,
  type SessionPipelineStats,
} from '../pipeline/session-pipeline.js';
import type { ClientEvent } from '../frames/client-events.js';
import { wsCloseCodeOf } from '../errors/map.js';
import type { QuotaService } from '../quota/quota-service.js';
import type { SessionQuota } from '../quota/session-quota.js';
import type { SessionHandle, SessionTransport } from '../transports/ports.js';

export interface RelaySessionOptions {
  id: string;
  config: PipelineConfig;
  principal: Principal;
  transport: SessionTransport;
  deps: PipelineDeps;
  /** Tenant quotas: the session gets a meter when its tenant has quotas. */
  quotas?: QuotaService | undefined;
  logger: Logger;
  /** Called once when the session has ended (after cleanup). */
  onEnded(session: RelaySession, code: number, reason: string): void;
  /** Called after each turn (its waterfall is in `info()`), e.g. to publish it to the registry. */
  onTurnEnded?(session: RelaySession): void;
}

export interface RelaySessionInfo {
  state: 'open' | 'closing' | 'closed';
  createdAtMs: number;
  pipeline: SessionPipelineStats;
  jitter: JitterStats;
}

/**
 * One live session: a transport, a jitter buffer and the session pipeline. Transports
 * push frames in; the session manager ticks the jitter buffer from the shared ticker.
 */
export class RelaySession implements SessionHandle {
  readonly id: string;
  readonly principal: Principal;
  readonly config: PipelineConfig;
  readonly transport: SessionTransport;
  readonly createdAtMs = Date.now();
  readonly #o: RelaySessionOptions;
  readonly #pipeline: SessionPipeline;
  readonly #jitter: UplinkBuffer;
  #state: RelaySessionInfo['state'] = 'open';
  #closingSent = false;
  #expiryTimer: NodeJS.Timeout | undefined;
  #quota: SessionQuota | undefined;

  constructor(o: RelaySessionOptions) {
    this.#o = o;
    this.id = o.id;
    this.principal = o.principal;
    this.config = o.config;
    this.transport = o.transport;
    this.#quota = o.quotas?.session(o.principal.tenant, (err) =>
      this.end(wsCloseCodeOf(err), 'quota exceeded'),
    );
    this.#pipeline = new SessionPipeline({
      sessionId: o.id,
      config: o.config,
      deps: o.deps,
      quota: this.#quota,
      onEvent: (ev) => {
        o.transport.sendEvent(ev);
        if (ev.type === 'transcript.final') {
          // STT audio is counted per utterance, never per frame.
          this.#quota?.sttFrames(this.#pipeline.stats().framesToStt);
        }
        if (ev.type === 'turn.metrics') {
          o.onTurnEnded?.(this);
        }
      },
      onAudio: (f) => o.transport.sendAudio(f),
    });
    this.#jitter = createUplink(o.config, nowMs, (f) => this.#pipeline.pushAudio(f));
  }

  get state(): RelaySessionInfo['state'] {
    return this.#state;
  }

  get responding(): boolean {
    return this.#pipeline.responding;
  }

  start(): void {
    this.#pipeline.start();
    const exp = this.principal.expiresAtMs;
    if (exp !== undefined) {
      this.#expiryTimer = setTimeout(
        () => this.end(1008, 'token expired'),
        Math.max(0, exp - Date.now()),
      );
      this.#expiryTimer.unref();
    }
  }

  /** Hot path: one frame from the transport, into the jitter buffer. */
  pushFrame(frame: AudioFrame): void {
    if (this.#state === 'open') {
      const r = this.#jitter.push(frame);
      if (r !== 'accepted') {
        this.#o.deps.metrics.jitterFrames.labels(r).inc();
      }
    }
  }

  /** Called from the shared ticker via the session manager. */
  tick(tsMs: number, poll: boolean): void {
    if (this.#state === 'open') {
      this.#jitter.tick(tsMs);
      if (poll) {
        this.transport.poll?.(tsMs);
      }
    }
  }

  handleClientEvent(ev: ClientEvent): void {
    switch (ev.type) {
      case 'input.text':
        this.#pipeline.inputText(ev.text);
        break;
      case 'response.cancel':
        this.#pipeline.cancelResponse();
        break;
      case 'session.update':
        if (ev.session.interruptions !== undefined) {
          this.#pipeline.setInterruptions(ev.session.interruptions);
        }
        break;
      case 'playback.mark':
        this.#pipeline.playbackMark(ev.seq);
        break;
      case 'function_call.output':
        this.#pipeline.functionCallOutput(ev.callId, ev.output);
        break;
    }
  }

  /** A DTMF key from a carrier. */
  dtmf(digit: string): void {
    if (this.#state === 'open') {
      this.#pipeline.dtmf(digit);
    }
  }

  /** The client or carrier played reply audio up to output frame `seq`. */
  playbackMark(seq: number): void {
    if (this.#state === 'open') {
      this.#pipeline.playbackMark(seq);
    }
  }

  info(): RelaySessionInfo {
    return {
      state: this.#state,
      createdAtMs: this.createdAtMs,
      pipeline: this.#pipeline.stats(),
      jitter: this.#jitter.stats(),
    };
  }

  /** Announce the coming close (drain) without closing yet. */
  announceClosing(code: number, reason: string): void {
    if (this.#state === 'open' && !this.#closingSent) {
      this.#closingSent = true;
      this.transport.sendEvent({ type: 'session.closing', reason, code });
    }
  }

  /**
   * End the session: `session.closing` (unless already announced), then the transport
   * closes with `code`. Idempotent; every stage call and timer is released.
   */
  end(code: number, reason: string): void {
    if (this.#state !== 'open') {
      return;
    }
    if (this.#pipeline.responding) {
      // A reply cut by the close: the client learns what was heard (response.interrupted).
      this.#pipeline.cancelResponse();
    }
    if (!this.#closingSent) {
      this.#closingSent = true;
      this.#state = 'closing';
      this.transport.sendEvent({ type: 'session.closing', reason, code });
    }
    this.#state = 'closing';
    this.#cleanup();
    this.transport.close(code, reason);
    this.#finish(code, reason);
  }

  /** The transport went away on its own (peer closed, network). */
  transportClosed(code: number, reason: string): void {
    if (this.#state === 'closed') {
      return;
    }
    this.#cleanup();
    this.#finish(code, reason);
  }

  #cleanup(): void {
    if (this.#expiryTimer !== undefined) {
      clearTimeout(this.#expiryTimer);
      this.#expiryTimer = undefined;
    }
    this.#pipeline.close();
    this.#quota?.close(this.#pipeline.stats().framesToStt);
    this.#quota = undefined;
  }

  #finish(code: number, reason: string): void {
    if (this.#state === 'closed') {
      return;
    }
    this.#state = 'closed';
    this.#o.logger.info({ code, reason }, 'session ended');
    this.#o.onEnded(this, code, reason);
  }
}
