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

/** The result a call cancelled by barge-in leaves in the history. */
export const CANCELLED = 'cancelled: the caller interrupted';

/**
 * The tool calls of one model response, run in parallel. Arguments are checked against
 * the tool's schema first; every failure (unknown tool, bad arguments, timeout, HTTP
 * error, bad client output) becomes an error result the model sees: never a hang.
 */
export class ToolRound {
  readonly #o: ToolRoundOptions;
  readonly #calls: ToolCallRecord[];
  readonly #aborts = new Map<string, { ctl: AbortController; tool: ToolConfig }>();
  readonly #outcomes: (ToolOutcome | undefined)[] = [];
  #runs: Promise<ToolOutcome>[] = [];

  constructor(options: ToolRoundOptions, calls: ToolCallRecord[]) {
    this.#o = options;
    this.#calls = calls;
  }

  /** Run every call; resolves once all have a result. */
  async run(): Promise<ToolOutcome[]> {
    this.#runs = this.#calls.map(async (call, i) => {
      const out = await this.#one(call);
      this.#outcomes[i] = out;
      return out;
    });
    return Promise.all(this.#runs);
  }

  /**
   * The turn ends before every call has a result. Calls whose tool says `cancel` (all
   * of them when `all`: the session closes) are aborted: a client tool is told with
   * `response.function_call.cancelled`, a webhook request is aborted, and the outcome is
   * a cancellation error. `keep` calls run on: their outcomes come in `kept`.
   */
  interrupt(all: boolean): { ended: ToolOutcome[]; kept: Promise<ToolOutcome>[] } {
    const ended: ToolOutcome[] = [];
    const kept: Promise<ToolOutcome>[] = [];
    this.#calls.forEach((call, i) => {
      const done = this.#outcomes[i];
      const running = this.#aborts.get(call.id);
      const run = this.#runs[i];
      if (done !== undefined) {
        ended.push(done);
      } else if (!all && running?.tool.onBargeIn === 'keep' && run !== undefined) {
        kept.push(run);
      } else {
        running?.ctl.abort(new Error(CANCELLED));
        if (running?.tool.run === 'client') {
          this.#o.emit({
            type: 'response.function_call.cancelled',
            turnId: this.#o.turnId,
            callId: call.id,
          });
        }
        ended.push({
          call,
          ok: false,
          ran: running?.tool.run ?? 'refused',
          content: errorContent(CANCELLED),
        });
      }
    });
    return { ended, kept };
  }

  /** Messages for the history: the assistant's calls (after `text`), one result per call. */
  static messages(text: string, outcomes: readonly ToolOutcome[]): ChatTurn[] {
    if (outcomes.length === 0) {
      return text === '' ? [] : [{ role: 'assistant', content: text }];
    }
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
    const closed = this.#o.client.closed;
    const onClose = (): void => ctl.abort(closed.reason);
    closed.addEventListener('abort', onClose, { once: true });
    if (closed.aborted) {
      onClose();
    }
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
      closed.removeEventListener('abort', onClose);
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
