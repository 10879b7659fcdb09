/** Client-side helpers for provider pipelines driven through a test relay over WebSocket. */
import { RelayClient } from '../../../client/relay-client.js';
import type { Relay } from '../../../server/relay.js';
import { LiveMic } from '../../../testing/live-mic.js';
import { testToken, wsUrl } from '../../../testing/relay-harness.js';

/** A session on `pipeline`, ready, with a live microphone sending silence. */
export async function openSession(
  relay: Relay,
  pipeline: string,
): Promise<{ c: RelayClient; mic: LiveMic }> {
  const c = await RelayClient.connect({ url: wsUrl(relay), pipeline, token: await testToken() });
  await c.log.waitFor('session.ready');
  const mic = new LiveMic(c);
  mic.start();
  return { c, mic };
}

/** LLM tokens for a reply: words with their leading space. */
export function tokens(text: string): string[] {
  return text.split(/(?= )/);
}

/**
 * The reply prefix a fake that gives every character `msPerChar` has fully spoken
 * after `audioMs`: whole words only, as the bridges cut spans at word ends.
 */
export function spokenPrefix(text: string, audioMs: number, msPerChar: number): string {
  let best = '';
  for (let i = 1; i <= text.length; i++) {
    const atWordEnd = i === text.length || text[i] === ' ';
    if (atWordEnd && text[i - 1] !== ' ' && i * msPerChar <= audioMs) {
      best = text.slice(0, i);
    }
  }
  return best;
}

/** Play reply audio like a client: in real time from the first frame, acking each frame with a mark. */
export function playWithMarks(c: RelayClient): { marks: number[]; stop(): void } {
  const marks: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let playedUntil = 0;
  c.onAudio = (a) => {
    playedUntil = Math.max(playedUntil, Date.now()) + 20;
    const t = setTimeout(() => {
      timers.delete(t);
      marks.push(a.seq);
      c.sendEvent({ type: 'playback.mark', seq: a.seq });
    }, playedUntil - Date.now());
    timers.add(t);
  };
  return {
    marks,
    stop: () => {
      for (const t of timers) {
        clearTimeout(t);
      }
      c.onAudio = undefined;
    },
  };
}
