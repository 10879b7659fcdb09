import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/pipelines.js';
import { loadRelayConfig } from '../server/relay-config.js';
import { startRedisServer, type RedisServerHandle } from '../state/redis-harness.js';
import { AuditLog } from './audit-log.js';
import { AuditRedisStream } from './redis-stream.js';

let redis: RedisServerHandle;
let dir: string;
beforeAll(async () => {
  redis = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), 'relay-audit-stream-'));
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit log mirrored to a Redis stream', () => {
  it('every record line reaches the stream, in order, byte for byte', async () => {
    const path = join(dir, 'audit.jsonl');
    const stream = new AuditRedisStream(redis.url, { key: 'test:audit', maxLen: 10_000 });
    const log = new AuditLog({
      path,
      maxBytes: 1 << 20,
      keep: 1,
      mirror: (line) => stream.add(line),
    });
    for (let i = 0; i < 40; i++) {
      log.append({ turnId: `t${i}`, reply: `reply ${i}` });
    }
    await log.close();
    await stream.close();
    expect(stream.failures).toBe(0);
    const reader = new Redis(redis.url);
    try {
      const entries = await reader.xrange('test:audit', '-', '+');
      const fromStream = entries.map(([, fields]) => {
        expect(fields[0]).toBe('record');
        return fields[1];
      });
      expect(fromStream).toEqual(readFileSync(path, 'utf8').trimEnd().split('\n'));
    } finally {
      reader.disconnect();
    }
  });

  it('a stream without redisUrl is a config error naming the field', () => {
    const file = join(dir, 'relay.yaml');
    writeFileSync(file, 'audit:\n  path: /tmp/audit.jsonl\n  redisStream: {}\n');
    expect(() => loadRelayConfig(['--config', file], {})).toThrow(
      expect.objectContaining({
        name: ConfigError.name,
        problems: [expect.objectContaining({ file, field: 'audit.redisStream' })],
      }),
    );
    const ok = loadRelayConfig(['--config', file, '--redis', redis.url], {});
    expect(ok.audit?.redisStream).toEqual({ key: 'voice-relay:audit', maxLen: 1_000_000 });
  });
});
