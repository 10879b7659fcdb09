import type { RelayError } from '../errors/errors.js';
import type {
  LlmEvent,
  LlmRequest,
  StageCallHandlers,
  StageRoute,
  TtsEvent,
  TtsRequest,
  TurnStages,
} from '../stages/stage-ports.js';

/** One scripted stage call: the test delivers its events and its end. */
export interface FakeCall<Req, E> {
  readonly req: Req;
  cancelled: string | undefined;
  ended: boolean;
  paused: boolean;
  readonly text: string[];
  emit(event: E): void;
  done(err?: RelayError): void;
}

/**
 * Turn stages driven by the test: every `generate`/`synthesize` is recorded and waits
 * for the test to deliver events, so a turn can be walked through any path without gRPC.
 */
export class FakeTurnStages implements TurnStages {
  readonly llm: FakeCall<LlmRequest, LlmEvent>[] = [];
  readonly tts: FakeCall<TtsRequest, TtsEvent>[] = [];
  readonly #waiters: (() => void)[] = [];

  route(_stage: 'llm' | 'tts', config: { endpoints: readonly string[] }): StageRoute {
    const eps = config.endpoints;
    return { count: eps.length, pick: (a) => eps[a % eps.length] ?? '' };
  }

  generate(req: LlmRequest, h: StageCallHandlers<LlmEvent>): { cancel(): void } {
    const call = fakeCall(req, h);
    this.llm.push(call);
    this.#wake();
    return { cancel: () => (call.cancelled = 'cancel') };
  }

  synthesize(req: TtsRequest, h: StageCallHandlers<TtsEvent>) {
    const call = fakeCall(req, h);
    this.tts.push(call);
    this.#wake();
    return {
      push: (text: string) => void call.text.push(text),
      end: () => (call.ended = true),
      cancel: (reason: string) => (call.cancelled = reason),
      pause: () => (call.paused = true),
      resume: () => (call.paused = false),
    };
  }

  /** Resolves once a call of `stage` number `n` (1-based) has been started. */
  async started(stage: 'llm' | 'tts', n: number): Promise<void> {
    while ((stage === 'llm' ? this.llm : this.tts).length < n) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) {
      w();
    }
  }
}

function fakeCall<Req, E>(req: Req, h: StageCallHandlers<E>): FakeCall<Req, E> {
  let over = false;
  return {
    req,
    cancelled: undefined,
    ended: false,
    paused: false,
    text: [],
    emit: (event) => {
      if (!over) {
        h.onEvent(event);
      }
    },
    done: (err) => {
      if (!over) {
        over = true;
        h.onDone(err);
      }
    },
  };
}
