import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { LlmStageConfig, TtsStageConfig } from '../config/pipeline-schema.js';
import { toGrpcDeadline } from '../core/deadline.js';
import { fromGrpcError } from '../errors/map.js';
import type { GenerateResponse__Output } from '../generated/voicerelay/v1/GenerateResponse.js';
import type { SynthesizeRequest } from '../generated/voicerelay/v1/SynthesizeRequest.js';
import type { SynthesizeResponse__Output } from '../generated/voicerelay/v1/SynthesizeResponse.js';
import type {
  LlmCall,
  LlmEvent,
  LlmRequest,
  StageCallHandlers,
  StageRoute,
  TtsCall,
  TtsEvent,
  TtsRequest,
  TurnStages,
} from './stage-ports.js';
import { watchCall } from './call-watch.js';
import type { StageClients } from './stage-clients.js';
import { poolSettingsOf } from './pool/endpoint-pool.js';
import { PooledCall, type LegCall } from './pool/pooled-call.js';

const ROLE = { system: 'SYSTEM', user: 'USER', assistant: 'ASSISTANT', tool: 'TOOL' } as const;

/** The LLM and TTS stages of a turn over gRPC: proto messages in and out are converted here. */
export class GrpcTurnStages implements TurnStages {
  readonly #clients: StageClients;

  constructor(clients: StageClients) {
    this.#clients = clients;
  }

  route(stage: 'llm' | 'tts', config: LlmStageConfig | TtsStageConfig): StageRoute {
    const c = config;
    return this.#clients.selector(stage, c.endpoints, c.balance, poolSettingsOf(c)).route();
  }

  generate(req: LlmRequest, handlers: StageCallHandlers<LlmEvent>): LlmCall {
    const open = (e: string, id: string, h: StageCallHandlers<LlmEvent>): LlmCall =>
      this.#generateOn(req, e, id, h);
    const call = this.#pooled('llm', req, handlers, open, (ev) => ev.kind === 'delta');
    return call ?? open(req.endpoint, req.requestId, handlers);
  }

  synthesize(req: TtsRequest, handlers: StageCallHandlers<TtsEvent>): TtsCall {
    const open = (e: string, id: string, h: StageCallHandlers<TtsEvent>): TtsCall =>
      this.#synthesizeOn(req, e, id, h);
    const call = this.#pooled('tts', req, handlers, open, () => true);
    return call ?? open(req.endpoint, req.requestId, handlers);
  }

  /**
   * The call over the stage's endpoint pool (retries before the first response, hedging),
   * or undefined when the stage has no pool.
   */
  #pooled<E>(
    stage: 'llm' | 'tts',
    req: LlmRequest | TtsRequest,
    handlers: StageCallHandlers<E>,
    open: (endpoint: string, requestId: string, h: StageCallHandlers<E>) => LegCall,
    isResponse: (ev: E) => boolean,
  ): PooledCall<E> | undefined {
    const settings = poolSettingsOf(req.config);
    if (settings === undefined) {
      return undefined;
    }
    const { endpoints, balance } = req.config;
    return new PooledCall<E>({
      pool: this.#clients.pools.get(stage, endpoints, balance, settings),
      endpoint: req.endpoint,
      open: (endpoint, leg, h) =>
        open(endpoint, leg === 0 ? req.requestId : `${req.requestId}.${leg}`, h),
      isResponse,
      handlers,
      clockOnPush: stage === 'tts',
      listener: this.#clients.pools.listener(stage),
    });
  }

  #generateOn(
    req: LlmRequest,
    endpoint: string,
    requestId: string,
    handlers: StageCallHandlers<LlmEvent>,
  ): LlmCall & LegCall {
    const clients = this.#clients;
    const cfg = req.config;
    let call;
    try {
      call = clients.get('llm', endpoint).Generate(
        {
          requestId,
          turnId: req.turnId,
          sessionId: req.sessionId,
          messages: req.messages.map((m) => ({
            role: ROLE[m.role],
            content: m.content,
            toolCalls: (m.toolCalls ?? []).map((c) => ({
              id: c.id,
              name: c.name,
              argumentsJson: c.arguments,
            })),
            toolCallId: m.toolCallId ?? '',
          })),
          tools: req.tools.map((t) => ({ ...t })),
          params: {
            model: cfg.model,
            temperature: cfg.temperature,
            maxTokens: cfg.maxTokens,
            topP: cfg.topP,
            stop: [...cfg.stop],
          },
        },
        clients.metadata(endpoint, cfg.sim, 'llm'),
        { deadline: toGrpcDeadline(req.deadlineMs) },
      );
    } catch (err) {
      throw fromGrpcError(err, 'llm');
    }
    watchCall<GenerateResponse__Output>(call, 'llm', {
      onData: (msg) => {
        if (msg.kind === 'delta' && msg.delta != null) {
          handlers.onEvent({ kind: 'delta', text: msg.delta.text });
        } else if (msg.kind === 'toolCall' && msg.toolCall != null) {
          handlers.onEvent({ kind: 'toolCall', ...msg.toolCall });
        } else if (msg.kind === 'usage' && msg.usage != null) {
          handlers.onEvent({
            kind: 'usage',
            promptTokens: msg.usage.promptTokens,
            completionTokens: msg.usage.completionTokens,
          });
        }
      },
      onDone: (err) => handlers.onDone(err),
    });
    return { cancel: () => call.cancel() };
  }

  #synthesizeOn(
    req: TtsRequest,
    endpoint: string,
    requestId: string,
    handlers: StageCallHandlers<TtsEvent>,
  ): TtsCall {
    const clients = this.#clients;
    const cfg = req.config;
    let call: ClientDuplexStream<SynthesizeRequest, SynthesizeResponse__Output>;
    try {
      call = clients.get('tts', endpoint).Synthesize(clients.metadata(endpoint, cfg.sim, 'tts'), {
        deadline: toGrpcDeadline(req.deadlineMs),
      });
    } catch (err) {
      throw fromGrpcError(err, 'tts');
    }
    call.write({
      requestId,
      turnId: req.turnId,
      config: {
        voice: cfg.voice,
        encoding: 'LINEAR16',
        sampleRateHz: req.sampleRateHz,
        speakingRate: cfg.speakingRate,
        language: cfg.language,
        options: cfg.options,
      },
    });
    watchCall<SynthesizeResponse__Output>(call, 'tts', {
      onData: (msg) => {
        if (msg.kind === 'audio' && msg.audio != null) {
          handlers.onEvent({ audio: msg.audio.audio, textEnd: msg.audio.span?.end ?? null });
        }
      },
      onDone: (err) => handlers.onDone(err),
    });
    return {
      push: (text) => {
        call.write({ text: { text } });
      },
      end: () => call.end(),
      cancel: (reason) => {
        call.write({ cancel: { reason } });
        call.cancel();
      },
      pause: () => call.pause(),
      resume: () => call.resume(),
    };
  }
}
