/**
 * Tool calling over Chat Completions: declared tools → `tools`, tool calls and results
 * in the conversation → assistant `tool_calls` / `tool` messages, and streamed
 * `delta.tool_calls` fragments → ToolCallDelta (parallel calls keep their index).
 */
import type { ChatMessage__Output } from '../../generated/voicerelay/v1/ChatMessage.js';
import type { ToolCallDelta } from '../../generated/voicerelay/v1/ToolCallDelta.js';
import type { ToolDeclaration__Output } from '../../generated/voicerelay/v1/ToolDeclaration.js';

const ROLES: Readonly<Record<string, string>> = {
  SYSTEM: 'system',
  USER: 'user',
  ASSISTANT: 'assistant',
  TOOL: 'tool',
  ROLE_UNSPECIFIED: 'user',
};

/** One conversation message in Chat Completions form. */
export function chatMessage(m: ChatMessage__Output): Record<string, unknown> {
  const role = ROLES[m.role] ?? 'user';
  if (role === 'tool') {
    return { role, tool_call_id: m.toolCallId, content: m.content };
  }
  if (role === 'assistant' && m.toolCalls.length > 0) {
    return {
      role,
      content: m.content === '' ? null : m.content,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.argumentsJson },
      })),
    };
  }
  return { role, content: m.content };
}

/** The `tools` field (flat JSON Schema parameters parsed from their text form). */
export function toolsField(tools: readonly ToolDeclaration__Output[]): unknown[] {
  return tools.map((t) => {
    let parameters: unknown = { type: 'object', properties: {} };
    try {
      parameters = t.parametersJson === '' ? parameters : JSON.parse(t.parametersJson);
    } catch {
      // The relay validated the schema at load; an engine-side typo keeps the empty schema.
    }
    return {
      type: 'function',
      function: { name: t.name, description: t.description, parameters },
    };
  });
}

interface WireFragment {
  index?: unknown;
  id?: unknown;
  function?: { name?: unknown; arguments?: unknown };
}

/**
 * Turns `delta.tool_calls` fragments into ToolCallDeltas. Some servers reuse index 0
 * with a fresh id for each parallel call: a new id on a used index gets the next index.
 */
export class ToolCallFragments {
  /** Upstream index → [our index, call id]. */
  readonly #byIndex = new Map<number, [number, string]>();
  #next = 0;

  get count(): number {
    return this.#next;
  }

  map(raw: unknown): ToolCallDelta[] {
    if (!Array.isArray(raw)) {
      return [];
    }
    const out: ToolCallDelta[] = [];
    for (const f of raw as WireFragment[]) {
      const upstream = typeof f.index === 'number' ? f.index : 0;
      const id = typeof f.id === 'string' ? f.id : '';
      let known = this.#byIndex.get(upstream);
      if (known === undefined || (id !== '' && id !== known[1])) {
        known = [this.#next++, id];
        this.#byIndex.set(upstream, known);
      }
      const name = typeof f.function?.name === 'string' ? f.function.name : '';
      const args = typeof f.function?.arguments === 'string' ? f.function.arguments : '';
      out.push({ index: known[0], id, name, arguments: args });
    }
    return out;
  }
}
