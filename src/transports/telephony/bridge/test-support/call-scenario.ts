/**
 * The end-to-end phone call every carrier test runs, over real sockets against a relay with
 * the telephony module: start → caller speech in the carrier's codec and chunking → a
 * transcript → reply audio in the carrier's format → marks acked as the audio "plays" →
 * barge-in (the carrier's clear) → DTMF → hang-up, and the session is gone.
 */
import { expect } from 'vitest';
import type { TurnMetrics } from '../../../../frames/events.js';
import type { TelephonyModuleOptions } from '../options.js';
import {
  SimCall,
  asteriskWs,
  audioSocket,
  exotel,
  freeswitch,
  jambonz,
  plivo,
  telnyx,
  twilio,
  vonage,
  type CarrierProtocol,
  type SimCallOptions,
} from './sim-carriers.js';
import {
  clientToken,
  phonePipeline,
  relayToken,
  startTelephonyRelay,
  until,
  type ObservedCall,
  type TelephonyTestRelay,
} from './telephony-relay.js';

export const REPLY =
  'Sure. Here is a long answer that keeps going for a while, so that there is plenty of time to talk over it before it ends.';

export const SECRETS = {
  twilioAuthToken: 'twilio-auth-token-0123456789',
  telnyxStreamToken: 'telnyx-stream-token-0123',
  exotel: { username: 'exotel-key', password: 'exotel-token-0123' },
  jambonz: { username: 'jambonz-user', password: 'jambonz-pass-0123' },
  freeswitchBearer: 'freeswitch-bearer-0123456789',
  asterisk: { username: 'asterisk-user', password: 'asterisk-pass-0123' },
} as const;

export const AUDIOSOCKET_UUID = '0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b';

export interface CarrierEnv {
  relay: TelephonyTestRelay;
  /** Relay credential for custom parameters and service tokens. */
  token: string;
  /** Short-lived client token for paths. */
  pathToken: string;
}

/** Module options with every carrier enabled, each with its own kind of credential. */
export function telephonyOptions(token: string): Omit<TelephonyModuleOptions, 'onEvent'> {
  return {
    defaultPipeline: 'phone',
    carriers: {
      twilio: { authToken: SECRETS.twilioAuthToken },
      telnyx: { streamingAuthToken: SECRETS.telnyxStreamToken },
      vonage: {},
      plivo: {},
      exotel: { basic: SECRETS.exotel },
      jambonz: { basic: SECRETS.jambonz, serviceToken: token },
      freeswitch: { bearer: SECRETS.freeswitchBearer, serializer: { sampleRateHz: 16000 } },
      'asterisk-ws': { basic: SECRETS.asterisk, serviceToken: token },
    },
    audioSocket: { port: 0, calls: { [AUDIOSOCKET_UUID]: token } },
  };
}

export async function startCarrierEnv(): Promise<CarrierEnv> {
  const token = await relayToken();
  const pathToken = await clientToken();
  const relay = await startTelephonyRelay({
    pipelines: { phone: phonePipeline('phone', REPLY) },
    telephony: telephonyOptions(token),
  });
  return { relay, token, pathToken };
}

/** A fresh call id per dial, so concurrent calls never mix. */
let counter = 0;
export function callId(prefix: string): string {
  counter++;
  return `${prefix}${Date.now().toString(16)}${counter.toString(16).padStart(4, '0')}`;
}

export type SimName =
  | 'twilio'
  | 'telnyx'
  | 'vonage'
  | 'plivo'
  | 'exotel'
  | 'jambonz'
  | 'freeswitch'
  | 'asterisk-ws'
  | 'audiosocket';

/** A simulated carrier with valid credentials for `env`. */
export function protocolFor(
  name: SimName,
  env: CarrierEnv,
  uuid = AUDIOSOCKET_UUID,
): CarrierProtocol {
  switch (name) {
    case 'twilio':
      return twilio({
        authToken: SECRETS.twilioAuthToken,
        token: env.token,
        callSid: callId('CA'),
      });
    case 'telnyx':
      return telnyx({
        streamingAuthToken: SECRETS.telnyxStreamToken,
        pathToken: env.pathToken,
        callControlId: callId('v3:'),
      });
    case 'vonage':
      return vonage({ pathToken: env.pathToken, call: callId('vg-') });
    case 'plivo':
      return plivo({ pathToken: env.pathToken, call: callId('pl-') });
    case 'exotel':
      return exotel({ ...SECRETS.exotel, token: env.token, call: callId('ex-') });
    case 'jambonz':
      return jambonz({ ...SECRETS.jambonz, call: callId('jz-') });
    case 'freeswitch':
      return freeswitch({
        bearer: SECRETS.freeswitchBearer,
        token: env.token,
        call: callId('fs-'),
      });
    case 'asterisk-ws':
      return asteriskWs({ ...SECRETS.asterisk, call: callId('ast-') });
    case 'audiosocket':
      return audioSocket({ uuid });
  }
}

export function matches(
  p: CarrierProtocol,
): (i: { callId?: string; customParameters: Record<string, string> }) => boolean {
  return (i) => i.callId === p.callKey || i.customParameters['call'] === p.callKey;
}

export interface CallReport {
  carrier: string;
  metrics: TurnMetrics;
  heardAudioMs: number;
  marksSent: number;
  marksAcked: number;
  clears: number;
  replyMessages: number;
  replyBytes: number[];
  reordered: number;
}

/** The whole call; returns what the tests assert and report on. */
export async function runCall(
  env: CarrierEnv,
  name: SimName,
  o: SimCallOptions = {},
): Promise<CallReport> {
  const p = protocolFor(name, env);
  const target = { media: env.relay.media, audioSocketPort: env.relay.audioSocketPort };
  const call = await SimCall.dial(p, target, o);
  call.startMic();
  try {
    await call.pause(100);
    const spoken = call.say(800);
    const observed: ObservedCall = await env.relay.calls.find(matches(p));
    const log = observed.log;
    await log.waitFor('session.ready', () => true, 30_000);
    await spoken;
    const final = await log.waitFor('transcript.final', () => true, 30_000);
    expect(final.text).toBe('tell me a story');
    const started = await log.waitFor('response.started', () => true, 30_000);

    // Reply audio in the carrier's codec and chunking, and not silence.
    await until(() => call.receivedMs >= 800, 30_000, 'reply audio');
    expect(call.audio.flatMap((a) => (a.note === undefined ? [] : [a.note]))).toEqual([]);
    expect(Math.max(...call.audio.map((a) => a.rms))).toBeGreaterThan(300);
    if (p.caps.marks) {
      await until(() => call.acked.length >= 2, 30_000, 'mark acks');
    } else {
      expect(call.marksReceived).toEqual([]);
    }

    // Barge-in: speak over the reply.
    const barge = call.say(900);
    const interrupted = await log.waitFor(
      'response.interrupted',
      (e) => e.turnId === started.turnId,
      30_000,
    );
    if (p.caps.clear) {
      await until(() => call.clears >= 1, 30_000, 'clear');
    } else {
      expect(call.clears).toBe(0);
    }
    const metrics = await log.waitFor('turn.metrics', (m) => m.turnId === started.turnId, 30_000);
    expect(metrics.interrupted).toBe(true);
    expect(metrics.voiceToVoiceMs).not.toBeNull();
    if (p.caps.marks) {
      expect(metrics.voiceToVoiceEdgeMs).not.toBeNull();
      expect(metrics.voiceToVoiceEdgeMs ?? 0).toBeGreaterThanOrEqual(metrics.voiceToVoiceMs ?? 0);
      // What was heard is what the carrier acknowledged.
      expect(interrupted.heardAudioMs).toBeGreaterThan(0);
    } else {
      expect(metrics.voiceToVoiceEdgeMs).toBeNull();
    }
    await barge;

    // DTMF reaches the pipeline.
    if (p.caps.dtmf) {
      call.dtmf('5');
      await log.waitFor('dtmf', (e) => e.digit === '5', 30_000);
    }

    const sessionId = observed.info.sessionId ?? '';
    const session = env.relay.relay.sessions?.get(sessionId);
    const transport = session?.transport as { stats?: { marksSent: number; marksAcked: number } };
    const reordered =
      (session?.info().jitter.reordered ?? 0) + (observed.info.chunksReordered ?? 0);
    const marksSent = transport.stats?.marksSent ?? 0;
    const marksAcked = transport.stats?.marksAcked ?? 0;

    // Hang-up ends the session.
    await call.hangup();
    await until(
      () => env.relay.relay.sessions?.get(sessionId) === undefined,
      30_000,
      'session end',
    );
    expect(call.unknown).toEqual([]);
    return {
      carrier: name,
      metrics,
      heardAudioMs: interrupted.heardAudioMs,
      marksSent,
      marksAcked,
      clears: call.clears,
      replyMessages: call.audio.length,
      replyBytes: [...new Set(call.audio.map((a) => a.wireBytes))].sort((a, b) => a - b),
      reordered,
    };
  } finally {
    call.stop();
    call.link.close();
  }
}

/** One line per call for the report (printed when VR_TELEPHONY_REPORT=1). */
export function reportLine(r: CallReport): string {
  const m = r.metrics;
  const edge = m.voiceToVoiceEdgeMs;
  const relay = m.voiceToVoiceMs;
  const diff = edge === null || relay === null ? 'n/a' : `${Math.round(edge - relay)} ms`;
  return `${r.carrier}: v2v relay ${Math.round(relay ?? NaN)} ms, edge ${edge === null ? 'n/a' : `${Math.round(edge)} ms`}, edge-relay ${diff}; marks ${r.marksAcked}/${r.marksSent}; clears ${r.clears}; heard ${r.heardAudioMs} ms; reply msgs ${r.replyMessages} sizes ${r.replyBytes.slice(0, 4).join('/')}${r.replyBytes.length > 4 ? '…' : ''}; reordered ${r.reordered}`;
}

export function report(lines: string[]): void {
  if (process.env['VR_TELEPHONY_REPORT'] === '1') {
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
