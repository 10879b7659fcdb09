import type { ToolConfig } from '../../config/agent-schema.js';
import type { ChatTurn, ToolCallRecord } from '../../frames/chat.js';
import type { ServerEvent } from '../../frames/events.js';
import type { ClientTools } from './client-tools.js';
import { checkArguments } from './validate.js';
import { callWebhook } from './webhook.js';

export interface ToolRoundOptions {
  sessionId: string;
  turnId: string;
  tools: readonly ToolConfig[];
  client: ClientTools;
  emit(event: ServerEvent): void;
}

/** The outcome of one call: the text the model sees (a result or `{"error": …}`). */
export interface ToolOutcome {
  call: ToolCallRecord;
  content: string;
  ok: boolean;
  /** Where it ran (`refused`: unknown tool or invalid arguments, never run). */
  ran: 'client' | 'webhook' | 'refused';
}

const errorContent = (message: string): string => JSON.stringify({ error: message });

class ToolTimeout extends Error {}

/**
 * The tool calls of one model response, run in parallel. Arguments are checked against
 * the tool's schema first; every failure (unknown tool, bad arguments, timeout, HTTP
 * error, bad client output) becomes an error result the model sees: never a hang.
 */
export class ToolRound {
  readonly #o: ToolRoundOptions;
  readonly #calls: ToolCallRecord[];
  readonly #aborts = new Map<string, { ctl: AbortController; tool: ToolConfig }>();
  #settled = 0;

  constructor(options: ToolRoundOptions, calls: ToolCallRecord[]) {
    this.#o = options;
    this.#calls = calls;
  }

  get settled(): boolean {
    return this.#settled === this.#calls.length;
  }

  /** Run every call; resolves once all have a result. */
  async run(): Promise<ToolOutcome[]> {
    return Promise.all(
      this.#calls.map(async (call) => {
        const out = await this.#one(call);
        this.#settled++;
        return out;
      }),
    );
  }

  /**
   * Barge-in: abort the calls whose tool says `cancel` (a client tool is told with
   * `response.function_call.cancelled`); `keep` calls run on, their results unused.
   */
  interrupt(): void {
    for (const [callId, { ctl, tool }] of this.#aborts) {
      if (tool.onBargeIn === 'cancel') {
        ctl.abort(new Error('cancelled: the caller interrupted'));
        if (tool.run === 'client') {
          this.#o.emit({
            type: 'response.function_call.cancelled',
            turnId: this.#o.turnId,
            callId,
          });
        }
      }
    }
  }

  /** Messages for the history: the assistant's calls, then one result per call. */
  static messages(text: string, outcomes: readonly ToolOutcome[]): ChatTurn[] {
    return [
      { role: 'assistant', content: text, toolCalls: outcomes.map((o) => o.call) },
      ...outcomes.map((o): ChatTurn => ({
        role: 'tool',
        content: o.content,
        toolCallId: o.call.id,
      })),
    ];
  }

  async #one(call: ToolCallRecord): Promise<ToolOutcome> {
    const tool = this.#o.tools.find((t) => t.name === call.name);
    if (tool === undefined) {
      return {
        call,
        ok: false,
        ran: 'refused',
        content: errorContent(`unknown tool ${call.name}`),
      };
    }
    const args = checkArguments(tool, call.arguments);
    if (!args.ok) {
      return { call, ok: false, ran: 'refused', content: errorContent(`refused: ${args.error}`) };
    }
    const ctl = new AbortController();
    this.#aborts.set(call.id, { ctl, tool });
    const timer = setTimeout(
      () => ctl.abort(new ToolTimeout(`the tool timed out after ${tool.timeoutMs} ms`)),
      tool.timeoutMs,
    );
    try {
      const content =
        tool.run === 'webhook'
          ? await callWebhook(
              tool,
              {
                callId: call.id,
                name: call.name,
                arguments: args.value,
                sessionId: this.#o.sessionId,
                turnId: this.#o.turnId,
              },
              ctl.signal,
            )
          : await this.#client(call, ctl.signal);
      return { call, ok: true, ran: tool.run, content };
    } catch (err) {
      const reason: unknown = ctl.signal.aborted ? ctl.signal.reason : err;
      const message = reason instanceof Error ? reason.message : String(reason);
      return { call, ok: false, ran: tool.run, content: errorContent(message) };
    } finally {
      clearTimeout(timer);
      this.#aborts.delete(call.id);
    }
  }

  #client(call: ToolCallRecord, signal: AbortSignal): Promise<string> {
    const wait = this.#o.client.wait(call.id, signal);
    this.#o.emit({
      type: 'response.function_call',
      turnId: this.#o.turnId,
      callId: call.id,
      name: call.name,
      arguments: call.arguments,
    });
    return wait;
  }
}
