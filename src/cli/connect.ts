import { writeFile } from 'node:fs/promises';
import { RelayClient, type CredentialVia } from '../client/relay-client.js';
import type { ServerEvent, TurnMetrics } from '../frames/events.js';
import { silence } from '../media/pcm.js';
import { encodeWav } from '../media/wav.js';
import { inputPcm } from './wav-input.js';
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
  /** Typed turns (input.text) instead of audio, one after the other. */
  text?: readonly string[];
  /** Also print speech events and partial transcripts. */
  verbose?: boolean;
  print(line: string): void;
}

interface EngineInfo {
  engines: Record<string, { stage: string; engine: string; status: string }[]>;
  say: string[];
}

/** What a development relay runs for the pipeline (its demo info route); silent elsewhere. */
async function describeRelay(
  url: string,
  pipeline: string,
  print: (l: string) => void,
): Promise<void> {
  let info: EngineInfo;
  try {
    const res = await fetch(new URL('/demo/info', url.replace(/^ws/, 'http')), {
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) {
      return;
    }
    info = (await res.json()) as EngineInfo;
  } catch {
    return;
  }
  const stages = info.engines[pipeline] ?? [];
  if (stages.length > 0) {
    print(`engines: ${stages.map((s) => `${s.stage} ${s.engine} (${s.status})`).join(' · ')}`);
  }
  if (stages.find((s) => s.stage === 'stt')?.status === 'simulated') {
    print('STT is simulated: it does not listen to the audio, it returns fixed words.');
  } else if (info.say.length > 0) {
    print(`things to say: ${info.say.map((t) => `"${t}"`).join(', ')}`);
  }
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
  await describeRelay(o.url, ready.pipeline, (l) => o.print(l));
  const turns: TurnMetrics[] = [];
  let finals = 0;
  const print = (ev: ServerEvent): void => {
    if (ev.type === 'transcript.final') {
      finals++;
    } else if (ev.type === 'turn.metrics') {
      turns.push(ev);
    }
    const line = describeEvent(ev, o.verbose ?? false);
    if (line !== undefined) {
      o.print(line);
    }
  };
  const origPush = client.log.push;
  client.log.push = (ev: ServerEvent): void => {
    origPush(ev);
    print(ev);
  };
  if (o.text !== undefined && o.text.length > 0) {
    for (const [i, text] of o.text.entries()) {
      o.print(`you:    ${text}`);
      client.sendEvent({ type: 'input.text', text });
      await client.log.waitFor('turn.metrics', () => true, 30_000, i + 1);
    }
    await client.close();
    return turns;
  }
  const pcm = Buffer.concat([await inputPcm(o.wav, rate), silence(o.tailMs, rate)]);
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
