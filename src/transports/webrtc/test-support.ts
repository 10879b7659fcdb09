/**
 * Shared by the WebRTC tests (in-process and the browser scenario child process): a relay
 * with the WebRTC module on loopback port 0, a pipelines folder of its own, and a werift
 * client peer. Not used by the relay itself.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  useOPUS,
  type RTCDataChannel,
  type RTCRtpTransceiver,
} from 'werift';
import { silentLogger } from '../../observability/logger.js';
import { relayConfigSchema } from '../../server/relay-config.js';
import { startRelay, type Relay } from '../../server/relay.js';
import { TEST_ADMIN_KEY, TEST_JWT_SECRET } from '../../testing/relay-harness.js';
import { createWebRtcModule, type WebRtcModule, type WebRtcModuleOptions } from './module.js';

/** The embedded simulated engines, tuned for short test turns. */
export const TEST_PIPELINE_YAML = `name: default
audio:
  sampleRateHz: 16000
stages:
  stt:
    endpoints: [embedded:sim]
    budgetMs: 3000
    interimResults: true
    endpointing:
      silenceMs: 400
    sim:
      finalDelayMs: 50
  llm:
    endpoints: [embedded:sim]
    budgetMs: 3000
    model: sim-echo
    sim:
      mode: echo
      ttftMs: 100
      interTokenMs: 10
  tts:
    endpoints: [embedded:sim]
    budgetMs: 3000
    voice: sim
    sim:
      firstAudioMs: 50
      realTimeFactor: 0.2
output:
  leadMs: 60
`;

/** A second pipeline that no test token is allowed on (403 checks). */
const OTHER_PIPELINE_YAML = TEST_PIPELINE_YAML.replace('name: default', 'name: other');

/** The demo's pipeline: an LLM budget it always misses (recorded), to show a breach. */
export const BREACH_PIPELINE_YAML = TEST_PIPELINE_YAML.replace('name: default', 'name: breach')
  .replace(
    'budgetMs: 3000\n    model: sim-echo',
    'budgetMs: 50\n    onBudgetExceeded: record\n    model: sim-echo',
  )
  .replace('ttftMs: 100', 'ttftMs: 150');

export interface WebRtcTestRelay {
  relay: Relay;
  module: WebRtcModule;
  /** http://127.0.0.1:PORT of the media listener. */
  mediaUrl: string;
  gatewayUrl: string;
  close(): Promise<void>;
}

export async function startWebRtcTestRelay(
  options: WebRtcModuleOptions = {},
  relayOverrides: Record<string, unknown> = {},
): Promise<WebRtcTestRelay> {
  const dir = await mkdtemp(join(tmpdir(), 'vr-webrtc-'));
  await writeFile(join(dir, 'default.yaml'), TEST_PIPELINE_YAML);
  await writeFile(join(dir, 'other.yaml'), OTHER_PIPELINE_YAML);
  await writeFile(join(dir, 'breach.yaml'), BREACH_PIPELINE_YAML);
  const config = relayConfigSchema.parse({
    mediaPort: 0,
    gatewayPort: 0,
    pipelinesDir: dir,
    logLevel: 'silent',
    adminKeys: [TEST_ADMIN_KEY],
    jwt: { hs256Secret: TEST_JWT_SECRET },
    heartbeatMs: 5_000,
    ...relayOverrides,
  });
  let module: WebRtcModule | undefined;
  const gateway: { url?: string } = {};
  const factory = createWebRtcModule({
    allowedRemoteAddresses: ['127.0.0.1'],
    ...options,
    ...(options.demo === undefined
      ? {}
      : { demo: { ...options.demo, gatewayUrl: () => gateway.url } }),
  });
  const relay = await startRelay(config, silentLogger(), {
    modules: [(ctx) => (module = factory(ctx))],
  });
  if (relay.gatewayUrl !== undefined) {
    gateway.url = relay.gatewayUrl;
  }
  if (module === undefined || relay.mediaAddress === undefined) {
    throw new Error('relay started without the WebRTC module');
  }
  return {
    relay,
    module,
    mediaUrl: `http://${relay.mediaAddress}`,
    gatewayUrl: relay.gatewayUrl ?? '',
    async close() {
      await relay.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A werift "browser": audio sendrecv plus the `events` data channel, loopback only. */
export class WeriftClient {
  readonly pc: RTCPeerConnection;
  readonly transceiver: RTCRtpTransceiver;
  /** The `events` data channel (client events go out here). */
  readonly dc: RTCDataChannel;
  readonly events: Record<string, unknown>[] = [];
  readonly received: RtpPacket[] = [];
  readonly #waiters = new Set<() => void>();
  #seq = 1000;
  #ts = 123_456;

  constructor() {
    this.pc = new RTCPeerConnection({
      // One ICE transport for the audio and the data channel, as a browser ends up with.
      // With werift's default ("max-compat") the data channel gets its own transport, and
      // when the bundled answer moves it onto the audio one, werift 0.24 drops the old
      // transport without closing it: its UDP sockets stay open after pc.close().
      bundlePolicy: 'max-bundle',
      iceServers: [],
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceFilterCandidatePair: (p) =>
        p.localCandidate.host === '127.0.0.1' && p.remoteCandidate.host === '127.0.0.1',
      codecs: { audio: [useOPUS()] },
    });
    const dc = this.pc.createDataChannel('events');
    this.dc = dc;
    dc.onMessage.subscribe((m) => {
      this.events.push(JSON.parse(String(m)) as Record<string, unknown>);
      this.#wake();
    });
    this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        this.received.push(rtp);
        this.#wake();
      });
    });
    this.pc.connectionStateChange.subscribe(() => this.#wake());
  }

  /** The offer with every loopback candidate gathered. */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription?.sdp ?? '';
  }

  async answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** One Opus packet; `ticks` = its duration at 48 kHz (960 = 20 ms). */
  sendOpus(payload: Buffer, ticks = 960): void {
    const header = new RtpHeader({
      sequenceNumber: this.#seq,
      timestamp: this.#ts,
      payloadType: 111,
      marker: false,
    });
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#ts = (this.#ts + ticks) % 0x1_0000_0000;
    void this.transceiver.sender.sendRtp(new RtpPacket(header, payload));
  }

  /** Resolves when `pred()` holds (checked on every event/packet/state change). */
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        const state = `connection ${this.pc.connectionState}, ICE ${this.pc.iceConnectionState}`;
        reject(new Error(`timed out waiting for ${what} (${state})`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async close(): Promise<void> {
    await this.pc.close();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) {
      w();
    }
  }
}

/** Polls `pred` every 20 ms until it holds; rejects after `timeoutMs`. */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise<void>((r) => setTimeout(r, 20));
  }
}
