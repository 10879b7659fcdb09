import { z } from 'zod';

/**
 * Client → server JSON events of protocol v1. Validated at the socket boundary;
 * anything else gets an `error` event with RELAY_ERR_PROTOCOL (the session goes on).
 */
const sessionUpdate = z.strictObject({
  type: z.literal('session.update'),
  session: z.strictObject({
    /** Barge-in policy: whether user speech may interrupt the agent (e.g. off during a legal notice). */
    interruptions: z.boolean().optional(),
  }),
});

const inputText = z.strictObject({
  type: z.literal('input.text'),
  text: z.string().min(1).max(8_000),
});

const responseCancel = z.strictObject({
  type: z.literal('response.cancel'),
});

const playbackMark = z.strictObject({
  type: z.literal('playback.mark'),
  /** Sequence number of the last reply frame the client has played. */
  seq: z.number().int().min(0).max(0xffff_ffff),
});

const functionCallOutput = z.strictObject({
  type: z.literal('function_call.output'),
  callId: z.string().min(1).max(256),
  /** The tool's result as text (JSON by convention), shown to the model as is. */
  output: z.string().max(65_536),
});

export const clientEventSchema = z.discriminatedUnion('type', [
  sessionUpdate,
  functionCallOutput,
  inputText,
  responseCancel,
  playbackMark,
]);

export type ClientEvent = z.infer<typeof clientEventSchema>;

export type ParsedClientEvent = { ok: true; event: ClientEvent } | { ok: false; message: string };

export function parseClientEvent(text: string): ParsedClientEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: 'text message is not valid JSON' };
  }
  const r = clientEventSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
    return { ok: false, message: `invalid event: ${where}${issue?.message ?? 'unknown problem'}` };
  }
  return { ok: true, event: r.data };
}
