import { afterEach, describe, expect, it } from 'vitest';
import { RelayClient } from '../client/relay-client.js';
import { startTestRelay, testToken, wsUrl } from '../testing/relay-harness.js';
import type { Relay } from './relay.js';

/** How a reply in progress ends when the session closes or the user speaks again. */
let relay: Relay | undefined;

afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

const LONG = Array.from({ length: 40 }, (_, i) => `sentence number ${i} goes on a while.`).join(
  ' ',
);

async function session(): Promise<RelayClient> {
  relay = await startTestRelay();
  const c = await RelayClient.connect({
    url: wsUrl(relay),
    pipeline: 'sim',
    token: await testToken(),
  });
  await c.log.waitFor('session.ready');
  return c;
}

/** Resolves at the first reply audio frame. */
function firstAudio(c: RelayClient): Promise<void> {
  return new Promise((resolve) => {
    c.onAudio = () => {
      c.onAudio = undefined;
      resolve();
    };
  });
}

describe('a reply in progress', () => {
  it('cut at the end of the drain grace gets response.interrupted before close 1001', async () => {
    const c = await session();
    const audio = firstAudio(c);
    c.sendEvent({ type: 'input.text', text: LONG });
    const started = await c.log.waitFor('response.started');
    await audio;
    await relay?.drain(300);
    const closed = await c.closed;
    expect(closed.code).toBe(1001);
    const interrupted = c.log.of('response.interrupted');
    expect(interrupted).toHaveLength(1);
    expect(interrupted[0]).toMatchObject({ turnId: started.turnId });
    expect(typeof interrupted[0]?.heardText).toBe('string');
    expect(c.log.of('response.done')).toHaveLength(0);
    const types = c.log.events.map((e) => e.type);
    expect(types.indexOf('session.closing')).toBeLessThan(types.indexOf('response.interrupted'));
  });

  it('with interruptions off, a new user turn waits for the reply to finish', async () => {
    const c = await session();
    c.sendEvent({ type: 'session.update', session: { interruptions: false } });
    const audio = firstAudio(c);
    c.sendEvent({ type: 'input.text', text: 'first question, answered at some length please' });
    const first = await c.log.waitFor('response.started');
    await audio;
    c.sendEvent({ type: 'input.text', text: 'second question' });
    const done = await c.log.waitFor('response.done');
    expect(done.turnId).toBe(first.turnId);
    const second = await c.log.waitFor('transcript.final', (e) => e.text === 'second question');
    expect(second.turnId).not.toBe(first.turnId);
    await c.log.waitFor('response.done', (e) => e.turnId === second.turnId);
    expect(c.log.of('response.interrupted')).toHaveLength(0);
    await c.close();
  });
});
