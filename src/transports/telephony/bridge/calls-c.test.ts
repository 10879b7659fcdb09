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
  it('FreeSWITCH mod_audio_stream: Bearer + metadata token, L16 16 kHz, streamAudio (no marks, no clear)', async () => {
    const r = await runCall(env, 'freeswitch');
    lines.push(reportLine(r));
  });

  it('Asterisk chan_websocket: Basic + service token, µ-law, JSON control, MARK_MEDIA/FLUSH_MEDIA', async () => {
    const r = await runCall(env, 'asterisk-ws');
    lines.push(reportLine(r));
  });

  it('Asterisk AudioSocket over TCP: UUID → credential, slin 8 kHz (no marks, no clear)', async () => {
    const r = await runCall(env, 'audiosocket');
    lines.push(reportLine(r));
  });
});
