import { afterEach, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startSimServer, type SimServer } from '../engines/sim/server.js';
import { loadRelayConfig } from './relay-config.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/** `simEngine`: the sim pipeline's `embedded:sim` endpoints served by another process. */
let relay: Relay | undefined;
let sim: SimServer | undefined;

afterEach(async () => {
  await relay?.close();
  await sim?.close();
  relay = undefined;
  sim = undefined;
});

describe('sim engines in their own process (simEngine)', () => {
  it('sends the sim pipeline’s calls to that address; none run in the relay', async () => {
    sim = await startSimServer({ host: '127.0.0.1', port: 0 });
    relay = await startTestRelay(
      { simEngine: sim.address },
      { engineAvailability: { espeak: false, pocketsphinx: false } },
    );
    expect(relay.engines?.sim).toBeUndefined();
    expect(relay.engines?.targets.sim).toBe(sim.address);
    const c = await RelayClient.connect({
      url: wsUrl(relay),
      pipeline: 'sim',
      token: await testToken(),
    });
    await c.log.waitFor('session.ready');
    const called = sim.llm.waitFor('call-started', undefined, 20_000);
    c.sendEvent({ type: 'input.text', text: 'hello there' });
    await c.log.waitFor('response.done', () => true, 20_000);
    await called;
    expect(c.log.of('response.done')[0]?.text).toBe('You said: hello there.');
    expect(sim.stats.started).toBeGreaterThan(0);
    await c.close();
  });

  it('takes VOICE_RELAY_SIM_ENGINE and refuses a value that is not host:port, naming the field', () => {
    expect(loadRelayConfig([], { VOICE_RELAY_SIM_ENGINE: '127.0.0.1:50051' }).simEngine).toBe(
      '127.0.0.1:50051',
    );
    expect(() => loadRelayConfig([], { VOICE_RELAY_SIM_ENGINE: 'http://x' })).toThrow(/simEngine/);
  });
});
