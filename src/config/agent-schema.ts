import { Ajv } from 'ajv';
import { z } from 'zod';

/**
 * Pipeline fields for agents that act: tools the model may call, the fillers spoken
 * while a tool runs or a stage is late, the dead-air budget and echo filtering.
 */

/** One validator per process: a tool's parameter schema is compiled once, at load. */
export const toolSchemaValidator = new Ajv({ allErrors: false, strict: false });

const toolName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 chars of A-Z, a-z, 0-9, "_" or "-"');

const webhook = z.strictObject({
  /** POST target: the body is `{ callId, name, arguments, sessionId, turnId }` as JSON. */
  url: z.url({ protocol: /^https?$/ }),
  /** Environment variable holding the HMAC-SHA256 key for the X-Relay-Signature header. */
  secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'),
});

const tool = z
  .strictObject({
    name: toolName,
    description: z.string().default(''),
    /** JSON Schema of the arguments object (validated before the tool runs). */
    parameters: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
    /** `client`: a `response.function_call` event answered by `function_call.output`. */
    run: z.enum(['client', 'webhook']).default('client'),
    webhook: webhook.optional(),
    /** No result by then: the model sees a tool error. */
    timeoutMs: z.number().int().min(1).max(120_000).default(10_000),
    /** Barge-in while the tool runs: cancel it, or keep it and add its result to history. */
    onBargeIn: z.enum(['cancel', 'keep']).default('cancel'),
  })
  .superRefine((t, ctx) => {
    if (t.run === 'webhook' && t.webhook === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhook'],
        message: 'is required when run is "webhook"',
      });
    }
    try {
      toolSchemaValidator.compile(t.parameters);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: ['parameters'],
        message: `is not a valid JSON Schema: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  });

export const toolsSchema = z
  .array(tool)
  .max(64)
  .default([])
  .superRefine((tools, ctx) => {
    const seen = new Set<string>();
    tools.forEach((t, i) => {
      if (seen.has(t.name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate tool ${t.name}` });
      }
      seen.add(t.name);
    });
  });

export const toolCallsSchema = z
  .strictObject({
    /** Model → tools → model rounds in one turn before the turn fails. */
    maxRounds: z.number().int().min(1).max(16).default(4),
  })
  .prefault({});

export const fillersSchema = z
  .strictObject({
    /** A tool still running after this long gets a filler spoken. */
    delayMs: z.number().int().min(0).max(60_000).default(700),
    /** Spoken in turn (one per filler); synthesised once per voice, then served from the cache. */
    phrases: z.array(z.string().min(1).max(200)).min(1).default(['One moment.', 'Let me check.']),
  })
  .prefault({});

export const deadAirSchema = z
  .strictObject({
    /**
     * Silence budget in ms: speech end → first reply audio, and gaps inside a reply.
     * 0 turns the governor off.
     */
    budgetMs: z.number().int().min(0).max(60_000).default(0),
    /** `filler`: speak a cached filler when the budget is breached; `record`: only count it. */
    action: z.enum(['filler', 'record']).default('filler'),
  })
  .prefault({});

export const echoSchema = z
  .strictObject({
    /** Drop transcripts that repeat what the agent just said (speakerphone echo). */
    enabled: z.boolean().default(false),
    /** How long after playout agent speech can still come back as echo. */
    windowMs: z.number().int().min(100).max(30_000).default(4_000),
    /** Normalised similarity (0..1) at or above which a transcript is echo. */
    minSimilarity: z.number().min(0).max(1).default(0.8),
  })
  .prefault({});

export type ToolConfig = z.infer<typeof tool>;
