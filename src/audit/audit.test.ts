import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../client/event-log.js';
import { Ticker } from '../core/ticker.js';
import { startSimServer } from '../engines/sim/server.js';
import { silentLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { SessionPipeline } from '../pipeline/session-pipeline.js';
import { grpcStageFactory } from '../stages/grpc-stage-factory.js';
import { StageClients } from '../stages/stage-clients.js';
import { testPipeline } from '../testing/pipeline-harness.js';
import { AuditLog, GENESIS } from './audit-log.js';
import { auditFiles, verifyAudit } from './verify.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'relay-audit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

describe('audit log', () => {
  it('chains records, across rotations and restarts, and verify finds the edited one', async () => {
    const path = join(dir, 'audit.jsonl');
    let log = new AuditLog({ path, maxBytes: 4_096, keep: 10 });
    for (let i = 0; i < 30; i++) {
      log.append({ turnId: `t${i}`, reply: 'x'.repeat(200) });
    }
    await log.close();
    log = new AuditLog({ path, maxBytes: 4_096, keep: 10 });
    log.append({ turnId: 't30' });
    await log.close();
    const files = auditFiles(path);
    expect(files.length).toBeGreaterThan(1);
    expect(verifyAudit(files)).toMatchObject({ ok: true, records: 31 });
    const first = JSON.parse(lines(files[0] ?? '')[0] ?? '') as { prev: string; seq: number };
    expect(first).toMatchObject({ prev: GENESIS, seq: 1 });

    // Edit one record of the oldest file.
    const target = files[0] ?? '';
    const ls = lines(target);
    ls[2] = (ls[2] ?? '').replace('"reply":"x', '"reply":"y');
    writeFileSync(target, `${ls.join('\n')}\n`);
    expect(verifyAudit(files)).toMatchObject({ ok: false, file: target, line: 3 });
  });

  it('detects a removed record at the record after it', async () => {
    const path = join(dir, 'audit.jsonl');
    const log = new AuditLog({ path, maxBytes: 1 << 20, keep: 1 });
    for (let i = 0; i < 5; i++) {
      log.append({ turnId: `t${i}` });
    }
    await log.close();
    const ls = lines(path);
    ls.splice(1, 1);
    writeFileSync(path, `${ls.join('\n')}\n`);
    const r = verifyAudit([path]);
    expect(r).toMatchObject({ ok: false, line: 2 });
    expect(r.ok ? '' : r.reason).toContain('prev');
  });

  it('records every turn with masked texts; the verify command fails at an edited line', async () => {
    const sim = await startSimServer();
    const clients = new StageClients({
      embedded: { stt: sim.address, llm: sim.address, tts: sim.address },
    });
    const ticker = new Ticker(20);
    const path = join(dir, 'audit.jsonl');
    const audit = new AuditLog({ path, maxBytes: 1 << 20, keep: 2 });
    const config = testPipeline(`
stages:
  stt: { endpoints: [embedded], budgetMs: 10000 }
  llm: { endpoints: [embedded], budgetMs: 10000 }
  tts: { endpoints: [embedded], budgetMs: 10000 }
guard: { enabled: true }
`);
    const log = new EventLog();
    const pipeline = new SessionPipeline({
      sessionId: 'a1',
      config,
      deps: {
        stages: grpcStageFactory(clients),
        ticker,
        metrics: createMetrics(),
        logger: silentLogger(),
        audit,
      },
      onEvent: log.push,
      onAudio: () => undefined,
    });
    try {
      pipeline.start();
      const says = [
        'my card is four two four two four two four two four two four two four two four two',
        'and my phone is five five five, one two three, four five six seven',
        'thank you',
      ];
      for (const [i, text] of says.entries()) {
        pipeline.inputText(text);
        await log.waitFor('turn.metrics', () => true, 30_000, i + 1);
      }
    } finally {
      pipeline.close();
      clients.close();
      ticker.stop();
      await audit.close();
      await sim.close();
    }
    const records = lines(path).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      sessionId: 'a1',
      transcript: 'my card is [card]',
      outcome: 'done',
      endpoints: { llm: ['embedded'], tts: ['embedded'] },
    });
    expect(records[1]).toMatchObject({ transcript: 'and my phone is [phone]' });
    expect(JSON.stringify(records[2]?.['messages'])).toContain('[card]');
    expect((records[2]?.['tokens'] as { completion: number }).completion).toBeGreaterThan(0);
    const text = readFileSync(path, 'utf8');
    const leak = /.{0,200}(four two|five five|4242|555).{0,80}/.exec(text);
    expect(leak?.[0]).toBeUndefined();

    const cli = (): Promise<{ code: number; out: string }> =>
      promisify(execFile)('npx', ['tsx', 'src/cli/main.ts', 'audit-verify', path]).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
    expect(await cli()).toEqual({ code: 0, out: 'ok: 3 records in 1 file(s)\n' });
    const ls = lines(path);
    ls[1] = (ls[1] ?? '').replace('"outcome":"done"', '"outcome":"failed"');
    writeFileSync(path, `${ls.join('\n')}\n`);
    const broken = await cli();
    expect(broken.code).toBe(1);
    expect(broken.out).toContain(`${path} line 2: the record does not match its hash`);
  });
});
