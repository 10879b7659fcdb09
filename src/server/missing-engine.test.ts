import { describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { scriptedAudio } from '../testing/speech-script.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';

describe('a pipeline whose engine is not installed', () => {
  it('tells the client RELAY_ERR_STAGE_UNAVAILABLE, not a budget breach', async () => {
    const relay = await startTestRelay(
      {},
      { engineAvailability: { espeak: false, pocketsphinx: false } },
    );
    try {
      const c = await RelayClient.connect({
        url: wsUrl(relay),
        pipeline: 'local',
        token: await testToken(),
      });
      await c.log.waitFor('session.ready');
      const audio = scriptedAudio(
        [{ silenceMs: 200 }, { speechMs: 700 }, { silenceMs: 900 }],
        16000,
      );
      await c.streamRealtime(audio.pcm, 16000);
      const err = await c.log.waitFor('error');
      expect(err.code).toBe('RELAY_ERR_STAGE_UNAVAILABLE');
      expect(err.message).toContain('pocketsphinx');
      // The lost utterance is reported again as the stage error, not as a budget breach.
      await c.log.waitFor('error', () => true, 15_000, 2);
      expect(c.log.events.filter((e) => e.type === 'budget.exceeded')).toEqual([]);
      await c.close();
    } finally {
      await relay.close();
    }
  });
});
