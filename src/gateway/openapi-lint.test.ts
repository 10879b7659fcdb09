import { describe, expect, it } from 'vitest';
import { createGatewayFixture } from './gateway-fixture.js';

interface Operation {
  operationId?: string;
  security?: unknown[];
  summary?: string;
  responses?: Record<string, unknown>;
}

/**
 * The error-level rules of redocly's `recommended` set that this document broke
 * (operation-operationId, operationId-unique, no-empty-servers, security-defined), plus
 * operation-summary, checked on the served document (`npx @redocly/cli lint` of it: 0
 * errors).
 */
describe('the OpenAPI document (redocly recommended rules)', () => {
  it('has servers, and a unique operationId, a summary and security on every operation', async () => {
    const fx = await createGatewayFixture();
    try {
      const doc = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
        servers?: { url: string }[];
        security?: unknown[];
        paths: Record<string, Record<string, Operation>>;
      }>();
      expect(doc.servers?.length ?? 0).toBeGreaterThan(0);
      const ids = new Set<string>();
      let operations = 0;
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const where = `${method.toUpperCase()} ${path}`;
          operations++;
          expect(op.operationId, where).toMatch(/^[a-z][A-Za-z0-9]+$/);
          expect(ids.has(op.operationId ?? ''), `${where}: duplicate operationId`).toBe(false);
          ids.add(op.operationId ?? '');
          expect(Array.isArray(op.security ?? doc.security), `${where}: security`).toBe(true);
          expect(op.summary, where).toBeTruthy();
        }
      }
      expect(operations).toBeGreaterThan(10);
      expect(doc.paths['/healthz']?.['get']?.security).toEqual([]);
      expect(doc.paths['/v1/sessions']?.['get']?.operationId).toBe('getSessions');
    } finally {
      await fx.close();
    }
  });
});
