import { z } from 'zod';
import {
  deadAirSchema,
  echoSchema,
  fillersSchema,
  toolCallsSchema,
  toolsSchema,
} from './agent-schema.js';

/**
 * The schema of `pipelines/*.yaml`. Objects are strict: an unknown field is an
 * error that names it, so a typo never silently falls back to a default.
 */

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 chars of a-z, 0-9, "-" or "_"');

/**
 * `embedded` (the process's own engines: real ones where installed, else simulated),
 * `embedded:NAME` (a local engine or a provider bridge run in-process, see ENGINE_FOR_STAGE)
 * or a gRPC target like `127.0.0.1:50051`.
 */
const endpoint = z
  .string()
  .min(1)
  .refine(
    (s) =>
      s === 'embedded' ||
      /^embedded:[a-z][a-z-]*$/.test(s) ||
      /^(dns:|unix:|ipv4:|ipv6:)/.test(s) ||
      /^[^\s:/]+:\d{1,5}$/.test(s) ||
      /^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(s),
    'must be "embedded", "embedded:<engine>" or a gRPC target like "host:port"',
  );

/** Which embedded engines can serve which stage. */
const ENGINE_FOR_STAGE: Record<string, string[]> = {
  stt: ['sim', 'pocketsphinx', 'deepgram', 'openai-stt'],
  llm: ['sim', 'reply', 'openai'],
  tts: ['sim', 'espeak', 'elevenlabs', 'cartesia', 'openai-speech'],
};

const budgetAction = z.enum(['record', 'cancel', 'fallback']);

const endpointPool = z.strictObject({
  /** Relative share per endpoint (same length and order as `endpoints`; default all 1). */
  weights: z.array(z.number().positive().max(1_000)).optional(),
  /** Weight of the newest first-response time in the moving average. */
  ewmaAlpha: z.number().gt(0).max(1).default(0.3),
  /** Retry a call on the next endpoint when it fails before its first response. */
  retries: z.boolean().default(true),
  /** Start the same call on the next endpoint when no first response came within this. */
  hedgeAfterMs: z.number().int().positive().max(60_000).optional(),
  eject: z
    .strictObject({
      /** Consecutive errors (or slow first responses) that open the endpoint's breaker. */
      consecutiveFailures: z.number().int().min(1).max(1_000).default(3),
      /** A first response slower than this counts as a failure (default: never). */
      slowMs: z.number().int().positive().max(60_000).optional(),
      /** How long an open breaker keeps the endpoint out before one trial call (doubles). */
      ejectMs: z.number().int().min(1).max(600_000).default(5_000),
      maxEjectMs: z.number().int().min(1).max(3_600_000).default(60_000),
    })
    .prefault({}),
  /** grpc.health.v1 polling of each endpoint (off unless given). */
  healthCheck: z
    .strictObject({
      intervalMs: z.number().int().min(20).max(600_000).default(2_000),
      timeoutMs: z.number().int().min(10).max(60_000).default(1_000),
      /** Consecutive failed checks that take the endpoint out. */
      unhealthyAfter: z.number().int().min(1).max(100).default(2),
      /** Consecutive SERVING answers that bring it back. */
      healthyAfter: z.number().int().min(1).max(100).default(1),
    })
    .optional(),
});

const stageBase = {
  /** Endpoints in priority order; `fallback` moves to the next one. */
  endpoints: z.array(endpoint).min(1),
  /**
   * How calls are spread over endpoints: always the first healthy one, round-robin, or
   * `latency` (weighted, by the EWMA of first-response time and calls in flight).
   */
  balance: z.enum(['failover', 'round-robin', 'latency']).default('failover'),
  /** First-response budget in ms (STT: speech end to final; LLM: first token; TTS: first audio). */
  budgetMs: z.number().int().positive().max(60_000),
  /** What to do when the budget is missed. */
  onBudgetExceeded: budgetAction.default('cancel'),
  /** Hard deadline for a whole call in ms (passed to gRPC as the call deadline). */
  maxCallMs: z.number().int().positive().max(600_000).default(30_000),
  /** Opaque engine options passed through to the stage. */
  options: z.record(z.string(), z.string()).default({}),
  /** Latency profile of the embedded simulated engine (ignored for other endpoints). */
  sim: z.record(z.string(), z.unknown()).optional(),
  /** The endpoint pool (README "Endpoint pools"): ejection, health checks, retries, hedging. */
  pool: endpointPool.optional(),
};

const stt = z.strictObject({
  ...stageBase,
  language: z.string().default('en-US'),
  interimResults: z.boolean().default(true),
  endpointing: z
    .strictObject({
      silenceMs: z.number().int().min(0).max(10_000).default(500),
      minSpeechMs: z.number().int().min(0).max(10_000).default(0),
      maxUtteranceMs: z.number().int().min(0).max(600_000).default(0),
    })
    .prefault({}),
  grammar: z.string().optional(),
});

const llm = z.strictObject({
  ...stageBase,
  model: z.string().default(''),
  instructions: z.string().default('You are a helpful voice assistant. Answer briefly.'),
  temperature: z.number().min(0).max(2).default(0.7),
  maxTokens: z.number().int().positive().max(32_768).default(256),
  topP: z.number().gt(0).max(1).default(1),
  stop: z.array(z.string()).default([]),
});

const tts = z.strictObject({
  ...stageBase,
  voice: z.string().default(''),
  language: z.string().default('en-US'),
  speakingRate: z.number().gt(0).max(4).default(1),
});

/** A deny rule: a case-insensitive regular expression, checked when the file is loaded. */
const denyRule = z
  .string()
  .min(1)
  .refine((r) => {
    try {
      new RegExp(r, 'i');
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression');

/** Guard and redaction between STT → LLM and LLM → TTS (README "Guard and redaction"). */
const guard = z.strictObject({
  enabled: z.boolean().default(false),
  /** Mask card numbers, phone numbers, e-mails (digits or spoken) before the LLM and the audit log. */
  redactPii: z.boolean().default(true),
  /** The user's turn is refused with an `error` event when it matches one of these. */
  deny: z.array(denyRule).default([]),
  /** A reply phrase matching one of these is replaced by `replacement` before TTS. */
  denyReply: z.array(denyRule).default([]),
  replacement: z.string().default("Sorry, I can't help with that."),
  /** An OpenAI-compatible moderation endpoint asked about every user turn. */
  moderation: z
    .strictObject({
      /** Base URL; the relay POSTs to `<url>/moderations` (e.g. https://api.openai.com/v1). */
      url: z.url(),
      model: z.string().default('omni-moderation-latest'),
      /** Environment variable holding the API key (never the key itself). */
      apiKeyEnv: z.string().optional(),
      timeoutMs: z.number().int().min(10).max(30_000).default(2_000),
      /** When the endpoint fails or is late: let the turn through (`allow`) or refuse it. */
      onError: z.enum(['allow', 'block']).default('allow'),
    })
    .optional(),
});

export const pipelineSchema = z
  .strictObject({
    name,
    description: z.string().default(''),
    audio: z
      .strictObject({
        sampleRateHz: z
          .union([z.literal(8000), z.literal(16000), z.literal(24000), z.literal(48000)])
          .default(16000),
      })
      .prefault({}),
    stages: z.strictObject({ stt, llm, tts }),
    output: z
      .strictObject({
        /** Audio kept in flight ahead of real time, so playback never starves. */
        leadMs: z.number().int().min(0).max(120_000).default(60),
        /** Reply audio buffered in the relay before TTS is backpressured. */
        maxBufferedMs: z.number().int().min(200).max(120_000).default(30_000),
      })
      .prefault({}),
    turn: z
      .strictObject({
        /** Deadline for a whole turn, from speech end to the last reply audio. */
        maxTurnMs: z.number().int().positive().max(600_000).default(60_000),
        /** Shortest text sent to TTS as one phrase unless the reply ends. */
        minPhraseChars: z.number().int().min(1).max(1_000).default(24),
      })
      .prefault({}),
    vad: z
      .strictObject({
        /** `silero` (model shipped in an npm package; energy fallback if it cannot load) or `energy`. */
        engine: z.enum(['silero', 'energy']).default('energy'),
        /** Silero: speech probability (0..1); energy: level in dBFS. Default per engine. */
        threshold: z.number().optional(),
        minSpeechMs: z.number().int().min(0).max(2_000).default(60),
        minSilenceMs: z.number().int().min(20).max(5_000).default(200),
      })
      .prefault({}),
    endpoint: z
      .strictObject({
        /** Earliest end of turn after speech end, even when the final is already in. */
        minDelayMs: z.number().int().min(0).max(10_000).default(0),
        /** Silence after speech with no final yet: ask the STT to flush. */
        maxDelayMs: z.number().int().min(100).max(30_000).default(3_000),
        /**
         * Who decides that the caller has finished (README "End of turn"): `silence` (the STT's
         * endpointer, then minDelayMs) or `semantic` (transcript and prosody; the wait runs
         * from minDelayMs when the turn is clearly complete to maxDelayMs mid-thought).
         */
        detector: z.enum(['silence', 'semantic', 'grpc']).default('silence'),
        /** Speech starting this soon after a turn was ended counts as a false cut-off. */
        falseCutoffWindowMs: z.number().int().min(0).max(10_000).default(1_500),
        /** semantic: end-of-turn probability at or above which the wait is minDelayMs. */
        threshold: z.number().min(0).max(1).default(0.9),
        /** grpc: a TurnDetector service; the semantic detector answers when it is late or down. */
        grpc: z
          .strictObject({
            target: endpoint,
            /** From the question (speech stop or new words in the silence) to the answer. */
            budgetMs: z.number().int().min(1).max(5_000).default(150),
          })
          .optional(),
      })
      .prefault({}),
    interruptions: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** User speech over the agent must last this long to interrupt it. */
        minSpeechMs: z.number().int().min(0).max(5_000).default(300),
        /** Without an interim transcript to judge, interrupt this much later. */
        transcriptWaitMs: z.number().int().min(0).max(5_000).default(300),
        /** Interim transcripts that never interrupt (case and punctuation ignored). */
        backchannels: z
          .array(z.string())
          .default([
            'uh-huh',
            'uh huh',
            'mm-hm',
            'mm hm',
            'mhm',
            'mm',
            'hmm',
            'yeah',
            'yes',
            'yep',
            'ok',
            'okay',
            'right',
            'sure',
            'i see',
          ]),
      })
      .prefault({}),
    dtmf: z
      .strictObject({
        /** Also hand each DTMF key to the LLM as a user turn "[DTMF 5]". */
        asText: z.boolean().default(false),
      })
      .prefault({}),
    preemptive: z
      .strictObject({
        /** Start the LLM on a stable partial at the STT's end of utterance. */
        enabled: z.boolean().default(false),
        minStability: z.number().min(0).max(1).default(0),
      })
      .prefault({}),
    history: z
      .strictObject({
        /** Most recent user/assistant messages kept (the system message is always kept). */
        maxMessages: z.number().int().min(2).max(1_000).default(20),
      })
      .prefault({}),
    jitter: z
      .strictObject({
        /**
         * `reorder` (default): the STT uplink reorder buffer (`uplink` block). The
         * playout-style buffers `adaptive`, `fixed` and `off` are kept for comparison.
         */
        mode: z.enum(['reorder', 'adaptive', 'fixed', 'off']).default('reorder'),
        startDelayMs: z.number().int().min(0).max(1_000).default(40),
        minDelayMs: z.number().int().min(0).max(1_000).default(20),
        maxDelayMs: z.number().int().min(20).max(2_000).default(200),
        quantile: z.number().gt(0.5).lt(1).default(0.99),
      })
      .prefault({}),
    guard: guard.prefault({}),
    uplink: z
      .strictObject({
        /**
         * Per-session memory budget in seconds of audio, for the reorder buffer and for
         * the STT write queue each. Audio beyond it is dropped, counted and reported.
         */
        bufferSeconds: z.number().min(1).max(120).default(10),
        /** Hold of the first frame (frames numbered before it) and the first gap wait. */
        startWaitMs: z.number().int().min(0).max(5_000).default(120),
        /** Bounds of the adaptive gap wait (the measured reorder × 1.5 + 20 ms). */
        minWaitMs: z.number().int().min(0).max(5_000).default(60),
        maxWaitMs: z.number().int().min(20).max(10_000).default(1_000),
      })
      .refine((u) => u.minWaitMs <= u.maxWaitMs, {
        message: 'minWaitMs must not exceed maxWaitMs',
        path: ['minWaitMs'],
      })
      .prefault({}),
    /** Tools the model may call (README "Tools"). */
    tools: toolsSchema,
    toolCalls: toolCallsSchema,
    /** Phrases spoken while a tool runs or a stage is late (README "Fillers and dead air"). */
    fillers: fillersSchema,
    deadAir: deadAirSchema,
    /** Echo filtering of the agent's own voice (README "Echo filtering"). */
    echo: echoSchema,
  })
  .superRefine((p, ctx) => {
    for (const stage of ['stt', 'llm', 'tts'] as const) {
      p.stages[stage].endpoints.forEach((e, i) => {
        const name = /^embedded:([a-z-]+)$/.exec(e)?.[1];
        const allowed = ENGINE_FOR_STAGE[stage] ?? [];
        if (name !== undefined && !allowed.includes(name)) {
          const known = Object.values(ENGINE_FOR_STAGE).some((l) => l.includes(name));
          const what = known
            ? `the ${name} engine cannot serve the ${stage} stage`
            : `unknown embedded engine ${name}`;
          ctx.addIssue({
            code: 'custom',
            path: ['stages', stage, 'endpoints', i],
            message: `${what} (use ${allowed.map((n) => `embedded:${n}`).join(' or ')})`,
          });
        }
      });
    }
    for (const stage of ['stt', 'llm', 'tts'] as const) {
      const { endpoints, pool } = p.stages[stage];
      if (pool?.weights !== undefined && pool.weights.length !== endpoints.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', stage, 'pool', 'weights'],
          message: `needs one weight per endpoint (${endpoints.length}), got ${pool.weights.length}`,
        });
      }
    }
    if (p.endpoint.detector === 'grpc' && p.endpoint.grpc === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint', 'grpc'],
        message: 'is required when endpoint.detector is "grpc" (a TurnDetector target)',
      });
    }
    if (p.endpoint.grpc !== undefined && p.endpoint.grpc.target.startsWith('embedded')) {
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint', 'grpc', 'target'],
        message: 'must be a gRPC target like "host:port" (the embedded detector is "semantic")',
      });
    }
    const stt = p.stages.stt;
    if (stt.budgetMs <= stt.endpointing.silenceMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'stt', 'budgetMs'],
        message: `must exceed stages.stt.endpointing.silenceMs (${stt.endpointing.silenceMs}): no final can come before the endpoint silence`,
      });
    }
  });

export type PipelineConfig = z.infer<typeof pipelineSchema>;
export type StageConfig = PipelineConfig['stages'][keyof PipelineConfig['stages']];
export type SttStageConfig = PipelineConfig['stages']['stt'];
export type LlmStageConfig = PipelineConfig['stages']['llm'];
export type TtsStageConfig = PipelineConfig['stages']['tts'];
