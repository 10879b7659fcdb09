import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  report,
  reportLine,
  runCall,
  startCarrierEnv,
  type CarrierEnv,
} from './test-support/call-scenario.js';

let env: CarrierEnv;
const lines: string[] = [];

beforeAll(async () => {
  env = await startCarrierEnv();
});
afterAll(async () => {
  report(lines);
  await env.relay.close();
});

describe.concurrent('a full simulated phone call per carrier, over real sockets', () => {
  it('Twilio Media Streams: signature on the upgrade, token in <Parameter>, µ-law 8 kHz', async () => {
    const r = await runCall(env, 'twilio');
    lines.push(reportLine(r));
  });

  it('Telnyx: stream token header + path token, L16 16 kHz big-endian, media out of order', async () => {
    const r = await runCall(env, 'telnyx', { swapEvery: 7 });
    lines.push(reportLine(r));
    // Out-of-order media was put back in the carrier's order.
    expect(r.reordered).toBeGreaterThan(0);
  });

  it('Vonage: path token, binary L16 8 kHz, notify/clear', async () => {
    const r = await runCall(env, 'vonage');
    lines.push(reportLine(r));
  });
});
