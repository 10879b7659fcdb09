import type { ValidateFunction } from 'ajv';
import { toolSchemaValidator, type ToolConfig } from '../../config/agent-schema.js';

const compiled = new WeakMap<ToolConfig, ValidateFunction>();

/** Parsed, schema-valid arguments, or why the call is refused (before it runs). */
export type CheckedArgs = { ok: true; value: unknown } | { ok: false; error: string };

/** Check a call's JSON argument text against the tool's parameter schema. */
export function checkArguments(tool: ToolConfig, text: string): CheckedArgs {
  let value: unknown;
  try {
    value = JSON.parse(text === '' ? '{}' : text);
  } catch {
    return { ok: false, error: 'arguments are not valid JSON' };
  }
  let validate = compiled.get(tool);
  if (validate === undefined) {
    validate = toolSchemaValidator.compile(tool.parameters);
    compiled.set(tool, validate);
  }
  if (!validate(value)) {
    const e = validate.errors?.[0];
    const where =
      e === undefined || e.instancePath === '' ? 'arguments' : `arguments${e.instancePath}`;
    return { ok: false, error: `${where} ${e?.message ?? 'do not match the schema'}` };
  }
  return { ok: true, value };
}
