/**
 * Simulated LanguageModel.Generate.
 *
 * Reply: `echo` mode answers "You said: <last user message>." (one trailing
 * . ! or ? of the message is dropped; "You said nothing." when there is no
 * user text); `scripted` mode answers script[(u - 1) mod script.length], u =
 * number of USER messages in the request, so turn u of a conversation gets the
 * u-th reply whatever else runs concurrently.
 * Tokens: each whitespace-separated word with its leading whitespace.
 * Timing (absolute, from receipt): delta i at ttftMs + i·interTokenMs (plus a
 * finite stallBeforeFirstMs), then usage (prompt_tokens = words in all
 * messages, completion_tokens = deltas) and finish right after the last delta.
 * params.max_tokens > 0 truncates the reply (finish LENGTH).
 * Tools: with `toolCalls` in the profile and declared tools in the request, a request
 * that does not end with TOOL messages gets the declared calls as tool-call deltas (two
 * fragments each: id+name, then arguments) and finish TOOL_CALLS; one ending with TOOL
 * messages is answered "Result: <content>; <content>." (those trailing messages).
 */
import type { handleServerStreamingCall } from '@grpc/grpc-js';
import { nowMs } from '../../core/clock.js';
import type { ChatMessage__Output } from '../../generated/voicerelay/v1/ChatMessage.js';
import type { GenerateRequest__Output } from '../../generated/voicerelay/v1/GenerateRequest.js';
import type { GenerateResponse } from '../../generated/voicerelay/v1/GenerateResponse.js';
import type { ToolDeclaration__Output } from '../../generated/voicerelay/v1/ToolDeclaration.js';
import type { ModelParameters__Output } from '../../generated/voicerelay/v1/ModelParameters.js';
import type { EngineContext } from './engine-context.js';
import type { LlmProfile } from './profiles.js';

export const MAX_RECORDED_REQUESTS = 1000;

/** A Generate request as the sim LLM received it. */
export interface LlmRequestRecord {
  requestId: string;
  turnId: string;
  sessionId: string;
  messages: ChatMessage__Output[];
  params: ModelParameters__Output | null;
  tools: ToolDeclaration__Output[];
  receivedAtMs: number;
}

/** The last MAX_RECORDED_REQUESTS requests, oldest first. */
export class RequestLog {
  readonly #items: LlmRequestRecord[] = [];
  readonly #capacity: number;

  constructor(capacity = MAX_RECORDED_REQUESTS) {
    this.#capacity = capacity;
  }

  get all(): readonly LlmRequestRecord[] {
    return this.#items;
  }

  get last(): LlmRequestRecord | undefined {
    return this.#items[this.#items.length - 1];
  }

  find(requestId: string): LlmRequestRecord | undefined {
    return this.#items.find((r) => r.requestId === requestId);
  }

  push(record: LlmRequestRecord): void {
    this.#items.push(record);
    if (this.#items.length > this.#capacity) {
      this.#items.shift();
    }
  }

  clear(): void {
    this.#items.length = 0;
  }
}

/** Split a reply into tokens: words with their leading whitespace (trailing space stays on the last). */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+(?:\s+$)?/g) ?? [];
}

/** Rough token count: whitespace-separated words. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

type SimMessage = Pick<ChatMessage__Output, 'role' | 'content'>;

/** The tool calls the sim LLM makes for a request (none when it should answer in text). */
export function toolCallsFor(
  profile: LlmProfile,
  req: Pick<GenerateRequest__Output, 'messages' | 'tools'>,
): { name: string; arguments: string }[] {
  const declared = new Set(req.tools.map((t) => t.name));
  if (declared.size === 0 || req.messages[req.messages.length - 1]?.role === 'TOOL') {
    return [];
  }
  return profile.toolCalls.filter((c) => declared.has(c.name));
}

/** The reply the sim LLM gives to a conversation. */
export function replyFor(profile: LlmProfile, messages: readonly SimMessage[]): string {
  const results: string[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]?.role === 'TOOL'; i--) {
    results.unshift(messages[i]?.content ?? '');
  }
  if (results.length > 0) {
    return `Result: ${results.join('; ')}.`;
  }
  const userMessages = messages.filter((m) => m.role === 'USER');
  if (profile.mode === 'scripted') {
    const index = Math.max(0, userMessages.length - 1) % profile.script.length;
    return profile.script[index] ?? '';
  }
  const last = userMessages[userMessages.length - 1]?.content.trim() ?? '';
  const said = last.replace(/[.!?]$/, '').trim();
  return said === '' ? 'You said nothing.' : `You said: ${said}.`;
}

/** The Generate handler of a sim server; every request is recorded in `requests`. */
export function generateHandler(
  ctx: EngineContext<'llm'>,
  requests: RequestLog,
): handleServerStreamingCall<GenerateRequest__Output, GenerateResponse> {
  return (call) => {
    const receivedAtMs = nowMs();
    const req = call.request;
    requests.push({
      requestId: req.requestId,
      turnId: req.turnId,
      sessionId: req.sessionId,
      messages: req.messages.map((m) => ({
        role: m.role,
        content: m.content,
        toolCalls: m.toolCalls.map((c) => ({ ...c })),
        toolCallId: m.toolCallId,
      })),
      tools: req.tools.map((t) => ({ ...t })),
      params: req.params,
      receivedAtMs,
    });
    const opened = ctx.open('Generate', call, req.requestId);
    if (opened === undefined) {
      return;
    }
    const { sim, profile } = opened;
    const maxTokens = req.params?.maxTokens ?? 0;
    const calls = toolCallsFor(profile, req);
    const all = calls.length > 0 ? [] : tokenize(replyFor(profile, req.messages));
    const tokens = maxTokens > 0 ? all.slice(0, maxTokens) : all;
    const finish = calls.length > 0 ? 'TOOL_CALLS' : tokens.length < all.length ? 'LENGTH' : 'STOP';
    const promptTokens = req.messages.reduce((n, m) => n + countWords(m.content), 0);
    const stallMs = profile.faults.stallBeforeFirstMs;
    const firstAtMs = receivedAtMs + (Number.isFinite(stallMs) ? stallMs : 0) + profile.ttftMs;
    const send = (
      response: Omit<GenerateResponse, 'requestId' | 'turnId' | 'serverTsMs'>,
    ): void => {
      sim.send({ ...response, requestId: req.requestId, turnId: req.turnId, serverTsMs: nowMs() });
    };
    const callAt = (i: number): void => {
      const c = calls[i];
      if (c !== undefined) {
        const id = `call_${req.requestId}_${i}`;
        send({ toolCall: { index: i, id, name: c.name, arguments: '' } });
        send({ toolCall: { index: i, id: '', name: '', arguments: c.arguments } });
        sim.scheduler.at(firstAtMs + (i + 1) * profile.interTokenMs, () => callAt(i + 1));
        return;
      }
      send({ usage: { promptTokens, completionTokens: calls.length } });
      send({ finish });
      sim.finish();
    };
    const step = (i: number): void => {
      const token = tokens[i];
      if (token !== undefined) {
        send({ delta: { text: token, index: i } });
        if (i + 1 < tokens.length) {
          sim.scheduler.at(firstAtMs + (i + 1) * profile.interTokenMs, () => step(i + 1));
          return;
        }
      }
      send({ usage: { promptTokens, completionTokens: tokens.length } });
      send({ finish });
      sim.finish();
    };
    sim.scheduler.at(firstAtMs, () => (calls.length > 0 ? callAt(0) : step(0)));
  };
}
