import { afterAll, beforeAll, describe, it } from 'vitest';
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
  it('Plivo: path token, L16 16 kHz playAudio, checkpoint/clearAudio', async () => {
    const r = await runCall(env, 'plivo');
    lines.push(reportLine(r));
  });

  it('Exotel: Basic auth, PCM16 8 kHz in 100 ms chunks, 3.2 KB reply chunks', async () => {
    const r = await runCall(env, 'exotel');
    lines.push(reportLine(r));
  });

  it('jambonz: Basic auth + service token, stereo L16 8 kHz, killAudio (no marks)', async () => {
    const r = await runCall(env, 'jambonz');
    lines.push(reportLine(r));
  });
});
