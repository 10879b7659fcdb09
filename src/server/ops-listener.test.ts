import { describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';

describe('the ops listener of a media-only node', () => {
  it('serves /metrics, /healthz and /readyz on its own port, never on the media port', async () => {
    const relay = await startTestRelay({ role: 'media' });
    try {
      const ops = relay.opsUrl ?? '';
      expect(ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ops).not.toContain(relay.mediaAddress ?? 'none');
      const health = await fetch(`${ops}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', node: relay.nodeId });
      const ready = await fetch(`${ops}/readyz`);
      expect(ready.status).toBe(200);

      // A turn on the media port shows up in this node's metrics.
      const c = await RelayClient.connect({
        url: wsUrl(relay),
        pipeline: 'sim',
        token: await testToken(),
      });
      await c.log.waitFor('session.ready');
      c.sendEvent({ type: 'input.text', text: 'hello' });
      await c.log.waitFor('turn.metrics');
      const metrics = await fetch(`${ops}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const text = await metrics.text();
      expect(text).toMatch(/^relay_sessions_active(\{[^}]*\})? 1$/m);
      expect(text).toContain('process_cpu_seconds_total');
      await c.close();

      // The media port still answers plain HTTP with 426, as before.
      expect((await fetch(`http://${relay.mediaAddress ?? ''}/metrics`)).status).toBe(426);
      expect((await fetch(`${ops}/nope`)).status).toBe(404);

      // Draining: readiness goes 503 on the ops listener.
      await relay.drain(0);
      expect((await fetch(`${ops}/readyz`)).status).toBe(503);
      expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    } finally {
      await relay.close();
    }
  });

  it('nodes that run the gateway open no ops listener (the gateway serves the routes)', async () => {
    const relay = await startTestRelay();
    try {
      expect(relay.opsUrl).toBeUndefined();
      expect((await fetch(`${relay.gatewayUrl ?? ''}/metrics`)).status).toBe(200);
    } finally {
      await relay.close();
    }
  });
});
