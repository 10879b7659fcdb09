import { writeFile } from 'node:fs/promises';
import { RelayClient, type CredentialVia } from '../client/relay-client.js';
import { scriptedAudio } from '../media/speech-script.js';
import type { ServerEvent, TurnMetrics } from '../frames/events.js';
import { silence } from '../media/pcm.js';
import { encodeWav } from '../media/wav.js';
import { readWavAt } from './wav-input.js';
import { describeEvent } from './print-events.js';

export interface ConnectOptions {
  url: string;
  gateway: string;
  pipeline: string;
  token: string | undefined;
  via: CredentialVia;
  wav: string | undefined;
  out: string;
  tailMs: number;
  print(line: string): void;
}

/** Get a short-lived client token from a relay in development mode. */
async function devToken(gateway: string, pipeline: string): Promise<string> {
  const res = await fetch(new URL('/v1/tokens/dev', gateway), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pipelines: [pipeline] }),
  });
  const body = (await res.json()) as { token?: string; error?: { message?: string } };
  if (!res.ok || body.token === undefined) {
    throw new Error(
      `no token: the gateway answered ${res.status} (${body.error?.message ?? 'no message'}); pass --token or start the relay with --dev-tokens`,
    );
  }
  return body.token;
}

/** Stream a WAV to a relay over protocol v1 in real time; print events; save the reply. */
export async function runConnect(o: ConnectOptions): Promise<TurnMetrics[]> {
  const token = o.token ?? (await devToken(o.gateway, o.pipeline));
  const client = await RelayClient.connect({ url: o.url, pipeline: o.pipeline, token, via: o.via });
  const ready = await client.log.waitFor('session.ready', () => true, 10_000);
  const rate = ready.sampleRateHz;
  o.print(`session ${ready.sessionId} on pipeline ${ready.pipeline} (${rate} Hz)`);
  let pcm: Buffer;
  if (o.wav === undefined) {
    pcm = scriptedAudio(
      [{ silenceMs: 300 }, { speechMs: 900 }, { silenceMs: 4000 }, { speechMs: 700 }],
      rate,
    ).pcm;
  } else {
    pcm = await readWavAt(o.wav, rate);
  }
  pcm = Buffer.concat([pcm, silence(o.tailMs, rate)]);
  const turns: TurnMetrics[] = [];
  let finals = 0;
  const print = (ev: ServerEvent): void => {
    if (ev.type === 'transcript.final') {
      finals++;
    } else if (ev.type === 'turn.metrics') {
      turns.push(ev);
    }
    const line = describeEvent(ev);
    if (line !== undefined) {
      o.print(line);
    }
  };
  const origPush = client.log.push;
  client.log.push = (ev: ServerEvent): void => {
    origPush(ev);
    print(ev);
  };
  await client.streamRealtime(pcm, rate);
  // Wait until every transcribed turn has its waterfall.
  while (turns.length < finals) {
    await client.log.waitFor('turn.metrics', () => true, 30_000, turns.length + 1);
  }
  await client.close();
  const reply = Buffer.concat(client.audio.map((a) => a.payload));
  await writeFile(o.out, encodeWav({ sampleRateHz: rate, channels: 1, data: reply }));
  o.print(
    `reply audio: ${o.out} (${((reply.length / 2 / rate) * 1000).toFixed(0)} ms, ${client.audio.length} frames)`,
  );
  return turns;
}
