import { existsSync, readFileSync } from 'node:fs';
import { GENESIS, hashBody, splitRecord } from './audit-log.js';

export type VerifyResult =
  | { ok: true; records: number; files: string[] }
  | { ok: false; records: number; file: string; line: number; reason: string };

/** The files of an audit log, oldest first: `<path>.<n>` … `<path>.1`, `<path>`. */
export function auditFiles(path: string): string[] {
  const rotated: string[] = [];
  for (let i = 1; existsSync(`${path}.${i}`); i++) {
    rotated.unshift(`${path}.${i}`);
  }
  return existsSync(path) ? [...rotated, path] : rotated;
}

/**
 * Check an audit log's hash chain: each record's hash must match its content, and its
 * `prev` the hash of the record before (the first record kept may follow rotated-out
 * ones, so its `prev` is taken as given). Reports the first broken record.
 */
export function verifyAudit(files: readonly string[]): VerifyResult {
  let prev: string | undefined;
  let records = 0;
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') {
      lines.pop();
    }
    for (let i = 0; i < lines.length; i++) {
      const fail = (reason: string): VerifyResult => ({
        ok: false,
        records,
        file,
        line: i + 1,
        reason,
      });
      const rec = splitRecord(lines[i] ?? '');
      if (rec === undefined) {
        return fail('no hash field at the end of the record');
      }
      if (hashBody(rec.body) !== rec.hash) {
        return fail('the record does not match its hash (edited)');
      }
      let parsed: { prev?: unknown };
      try {
        parsed = JSON.parse(rec.body) as { prev?: unknown };
      } catch {
        return fail('not JSON');
      }
      if (prev !== undefined && parsed.prev !== prev) {
        return fail('prev does not match the previous record (removed or reordered)');
      }
      if (prev === undefined && typeof parsed.prev !== 'string') {
        return fail('no prev field');
      }
      prev = rec.hash;
      records++;
    }
  }
  return { ok: true, records, files: [...files] };
}

export { GENESIS };
