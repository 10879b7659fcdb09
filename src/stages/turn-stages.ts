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

const ROLE = { system: 'SYSTEM', user: 'USER', assistant: 'ASSISTANT', tool: 'TOOL' } as const;

/** The LLM and TTS stages of a turn over gRPC: proto messages in and out are converted here. */
export class GrpcTurnStages implements TurnStages {
  readonly #clients: StageClients;

  constructor(clients: StageClients) {
    this.#clients = clients;
  }

  route(stage: 'llm' | 'tts', config: LlmStageConfig | TtsStageConfig): StageRoute {
    return this.#clients.selector(stage, config.endpoints, config.balance).route();
  }

  generate(req: LlmRequest, handlers: StageCallHandlers<LlmEvent>): LlmCall {
    const clients = this.#clients;
    const cfg = req.config;
    let call;
    try {
      call = clients.get('llm', req.endpoint).Generate(
        {
          requestId: req.requestId,
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
        clients.metadata(req.endpoint, cfg.sim, 'llm'),
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

  synthesize(req: TtsRequest, handlers: StageCallHandlers<TtsEvent>): TtsCall {
    const clients = this.#clients;
    const cfg = req.config;
    let call: ClientDuplexStream<SynthesizeRequest, SynthesizeResponse__Output>;
    try {
      call = clients
        .get('tts', req.endpoint)
        .Synthesize(clients.metadata(req.endpoint, cfg.sim, 'tts'), {
          deadline: toGrpcDeadline(req.deadlineMs),
        });
    } catch (err) {
      throw fromGrpcError(err, 'tts');
    }
    call.write({
      requestId: req.requestId,
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
