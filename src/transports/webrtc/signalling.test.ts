import { Decoder, Encoder } from '@evan/opus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthVoice } from '../../media/pcm.js';
import { testToken } from '../../testing/relay-harness.js';
import { OPUS_SILENCE_FRAME } from './opus.js';
import { startWebRtcTestRelay, until, WeriftClient, type WebRtcTestRelay } from './test-support.js';

let t: WebRtcTestRelay;

// The idle timeout counts from the offer: long enough that a slow connect or a pause
// between steps on a busy machine never ends a session early (the idle test has its own).
beforeAll(async () => {
  t = await startWebRtcTestRelay({ idleTimeoutMs: 60_000 });
});
afterAll(async () => {
  await t?.close();
});

function post(
  sdp: string,
  o: { token?: string; query?: string; type?: string } = {},
): Promise<Response> {
  return fetch(`${t.mediaUrl}/v1/webrtc${o.query ?? '?pipeline=default'}`, {
    method: 'POST',
    headers: {
      'content-type': o.type ?? 'application/sdp',
      ...(o.token === undefined ? {} : { authorization: `Bearer ${o.token}` }),
    },
    body: sdp,
  });
}

/** Open UDP sockets of this process (werift's ICE sockets). */
function udpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}

function nothingLive(): void {
  expect(t.module.peerCount).toBe(0);
  expect(t.relay.sessions?.size).toBe(0);
}

describe('WebRTC signalling refusals', () => {
  let offer: string;
  let client: WeriftClient;
  beforeAll(async () => {
    client = new WeriftClient();
    offer = await client.offer();
  });
  afterAll(async () => {
    await client.close();
  });

  it('refuses bad credentials with 401 before any peer connection exists', async () => {
    for (const token of [undefined, 'not-a-token', await testToken({ expiresInSec: -10 })]) {
      const r = await post(offer, token === undefined ? {} : { token });
      expect(r.status).toBe(401);
      const body = (await r.json()) as { error: { code: string } };
      expect(body.error.code).toMatch(/^RELAY_ERR_(UNAUTHENTICATED|TOKEN_EXPIRED)$/);
      nothingLive();
    }
    // ?token= accepts only short-lived client tokens: a long-lived JWT there is 401 too.
    const r = await post(offer, { query: `?pipeline=default&token=${await testToken()}` });
    expect(r.status).toBe(401);
    nothingLive();
  });

  it('maps every other refusal to its status, still with nothing created', async () => {
    const token = await testToken({ pipelines: ['default'] });
    const cases: [Promise<Response>, number][] = [
      [post(offer, { token, query: '' }), 400],
      [post(offer, { token, query: '?pipeline=nope' }), 404],
      [post(offer, { token, query: '?pipeline=other' }), 403],
      [post(offer, { token: await testToken({ scopes: ['token:create'] }) }), 403],
      [post(offer, { token, type: 'text/plain' }), 400],
      [
        post('v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n', { token }),
        400,
      ],
      [post(`${offer}${'a=x-pad:'.padEnd(70_000, 'x')}\r\n`, { token }), 413],
    ];
    for (const [res, status] of cases) {
      const r = await res;
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toContain('application/json');
      nothingLive();
    }
  });

  it('an offer werift cannot apply is 400; the peer made for it is released', async () => {
    const token = await testToken();
    const broken = [
      offer.replace(/a=ice-ufrag:.*\r\n/g, ''),
      'v=0\r\nm=audio 9 x 111\r\na=rtpmap:111 opus/48000/2\r\nm=application 9 y z\r\n',
    ];
    for (const sdp of broken) {
      const r = await post(sdp, { token });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(
        /offer rejected/,
      );
      await until(() => t.module.peerCount === 0, 20_000, 'peer released');
      nothingLive();
    }
  });

  it("admission limits: 429 with Retry-After beyond the credential's sessions", async () => {
    const token = await testToken({ maxSessions: 1, subject: 'limited' });
    const first = await post(offer, { token });
    expect(first.status).toBe(201);
    const second = await post(offer, { token });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(t.module.peerCount).toBe(1);
    expect(t.relay.sessions?.size).toBe(1);
    const del = await fetch(`${t.mediaUrl}${first.headers.get('location') ?? ''}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(del.status).toBe(200);
    await until(() => t.module.peerCount === 0, 20_000, 'peer released');
    nothingLive();
  });

  it('DELETE needs credentials, and a session of the same tenant', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expect((await fetch(`${t.mediaUrl}/v1/webrtc/${id}`, { method: 'DELETE' })).status).toBe(401);
    const r = await fetch(`${t.mediaUrl}/v1/webrtc/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await testToken()}` },
    });
    expect(r.status).toBe(404);
  });
});

describe('WebRTC session with a werift client', () => {
  it('carries Opus both ways and events on the data channel; DELETE releases everything', async () => {
    const udpBefore = udpSockets();
    const client = new WeriftClient();
    try {
      const token = await testToken({ tenant: 'acme' });
      const r = await post(await client.offer(), { token });
      expect(r.status).toBe(201);
      expect(r.headers.get('content-type')).toBe('application/sdp');
      const location = r.headers.get('location') ?? '';
      expect(location).toMatch(/^\/v1\/webrtc\/[0-9a-f-]{36}$/);
      const answer = await r.text();
      // Only loopback host candidates are advertised.
      const cands = answer.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
      expect(cands.length).toBeGreaterThan(0);
      expect(cands.every((l) => l.includes(' 127.0.0.1 '))).toBe(true);
      expect(answer).toMatch(/a=sendrecv/);
      expect(t.module.peerCount).toBe(1);
      expect(t.relay.sessions?.size).toBe(1);
      await client.answer(answer);
      await client.waitFor(() => client.pc.connectionState === 'connected', 30_000, 'connected');
      await client.waitFor(
        () => client.events.some((e) => e['type'] === 'session.ready'),
        30_000,
        'session.ready',
      );
      const ready = client.events.find((e) => e['type'] === 'session.ready');
      expect(location.endsWith(String(ready?.['sessionId']))).toBe(true);

      // Reply-less slots are filled with Opus silence: a continuous stream at once.
      await client.waitFor(() => client.received.length >= 10, 20_000, 'silence packets');
      expect(client.received.some((p) => p.payload.equals(OPUS_SILENCE_FRAME))).toBe(true);

      // 1.2 s of speech then silence, paced at 20 ms like a browser would (which keeps
      // sending while the call lasts).
      const enc = new Encoder({ channels: 1, sample_rate: 48_000, application: 'voip' });
      const speech = synthVoice(1200, 48_000, 3);
      let i = 0;
      const pace = setInterval(() => {
        const off = i * 1920;
        const pcm = off < speech.length ? speech.subarray(off, off + 1920) : Buffer.alloc(1920);
        client.sendOpus(Buffer.from(enc.encode(pcm)));
        i++;
      }, 20);
      try {
        await client.waitFor(
          () => client.events.some((e) => e['type'] === 'transcript.final'),
          60_000,
          'transcript.final',
        );
        await client.waitFor(
          () => client.events.some((e) => e['type'] === 'turn.metrics'),
          60_000,
          'turn.metrics',
        );
      } finally {
        clearInterval(pace);
      }
      const final = client.events.find((e) => e['type'] === 'transcript.final');
      expect(String(final?.['text'])).toMatch(/alpha/);
      expect(client.events.some((e) => e['type'] === 'response.text.delta')).toBe(true);

      // Reply audio: marker bit at the talkspurt start, +960 per packet, audible content.
      const rx = client.received;
      const firstAudio = rx.findIndex((p) => p.header.marker);
      expect(firstAudio).toBeGreaterThan(0);
      const dec = new Decoder({ channels: 1, sample_rate: 48_000 });
      let peak = 0;
      for (const p of rx.slice(firstAudio, firstAudio + 25)) {
        const pcm = Buffer.from(dec.decode(p.payload));
        for (let k = 0; k < pcm.length; k += 2) {
          peak = Math.max(peak, Math.abs(pcm.readInt16LE(k)));
        }
      }
      expect(peak).toBeGreaterThan(1000);
      // Seq never skips; timestamps move in whole 20 ms slots, +960 from packet to packet
      // except at a talkspurt start (marker) or after an event-loop stall of more than three
      // slots (the silence filler then skips ahead instead of bursting). How often the loop
      // stalls depends on the machine's load, so only the shape is checked, not the count.
      for (let k = 1; k < rx.length; k++) {
        const a = rx[k - 1]!.header;
        const b = rx[k]!.header;
        expect((b.sequenceNumber - a.sequenceNumber + 0x10000) % 0x10000).toBe(1);
        const dts = (b.timestamp - a.timestamp + 2 ** 32) % 2 ** 32;
        expect(dts % 960).toBe(0);
        expect(dts).toBeGreaterThanOrEqual(960);
      }
      const peer = t.module.peerOf(String(ready?.['sessionId']));
      expect(peer?.stats().framesIn).toBeGreaterThan(50);
      expect(peer?.stats().decodeErrors).toBe(0);

      // Another tenant cannot end it; the owner can.
      const other = await fetch(`${t.mediaUrl}${location}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${await testToken({ tenant: 'evil' })}` },
      });
      expect(other.status).toBe(404);
      const del = await fetch(`${t.mediaUrl}${location}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(del.status).toBe(200);
      await client.waitFor(
        () => client.events.some((e) => e['type'] === 'session.closing'),
        20_000,
        'session.closing',
      );
      expect(t.relay.sessions?.size).toBe(0);
      await until(() => t.module.peerCount === 0, 20_000, 'peer released');
      expect(peer?.released).toBe(true);
    } finally {
      await client.close();
    }
    // Every UDP socket werift opened (both sides) is closed again.
    await until(
      () => udpSockets() === udpBefore,
      60_000,
      `UDP sockets closed (${udpBefore} before the call, ${udpSockets()} when the wait began)`,
    );
  }, 180_000);

  it('re-frames 10 ms and 40 ms Opus packets into 20 ms frames, in order', async () => {
    const client = new WeriftClient();
    const token = await testToken();
    let location = '';
    try {
      const r = await post(await client.offer(), { token });
      expect(r.status).toBe(201);
      location = r.headers.get('location') ?? '';
      const id = location.split('/').pop() ?? '';
      await client.answer(await r.text());
      await client.waitFor(() => client.pc.connectionState === 'connected', 30_000, 'connected');
      const enc = new Encoder({ channels: 1, sample_rate: 48_000, application: 'voip' });
      const speech = synthVoice(2000, 48_000, 5);
      let off = 0;
      const packet = (ms: number): void => {
        const bytes = ms * 96;
        client.sendOpus(Buffer.from(enc.encode(speech.subarray(off, off + bytes))), ms * 48);
        off += bytes;
      };
      // Paced like a sender would: 50 × 10 ms (25 frames), then 13 × 40 ms (26 frames).
      const plan = [...Array<number>(50).fill(10), ...Array<number>(13).fill(40)];
      const t0 = Date.now();
      let due = 0;
      const pace = setInterval(() => {
        while (plan.length > 0 && due <= Date.now() - t0) {
          const ms = plan.shift()!;
          packet(ms);
          due += ms;
        }
        if (plan.length === 0) {
          clearInterval(pace);
        }
      }, 5);
      const peer = t.module.peerOf(id);
      await until(() => (peer?.stats().framesIn ?? 0) >= 51, 20_000, '51 frames').finally(() =>
        clearInterval(pace),
      );
      expect(peer?.stats().framesIn).toBe(51);
      expect(peer?.stats().decodeErrors).toBe(0);
      const jitter = t.relay.sessions?.get(id)?.info().jitter;
      expect(jitter?.received).toBe(51);
      expect(jitter?.duplicates).toBe(0);
      expect(jitter?.overflow).toBe(0);
      expect(jitter?.reordered).toBe(0);
      expect(jitter?.resyncs).toBe(0);
    } finally {
      if (location !== '') {
        // End it now (the idle timeout is long): cleanup, not under test here.
        await fetch(`${t.mediaUrl}${location}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${token}` },
        });
      }
      await client.close();
    }
    await until(() => t.relay.sessions?.size === 0, 20_000, 'session ended');
  }, 90_000);

  it('ends a session whose client vanishes without a word, within the idle timeout', async () => {
    // A relay of its own with a short idle timeout. The client answers but never sends
    // RTP; it may not even be connected when the timeout strikes on a busy machine, so
    // the test waits only for the end, which nothing but the idle timeout brings here.
    const idle = await startWebRtcTestRelay({ idleTimeoutMs: 2_000 });
    const client = new WeriftClient();
    try {
      const r = await fetch(`${idle.mediaUrl}/v1/webrtc?pipeline=default`, {
        method: 'POST',
        headers: {
          'content-type': 'application/sdp',
          authorization: `Bearer ${await testToken()}`,
        },
        body: await client.offer(),
      });
      expect(r.status).toBe(201);
      await client.answer(await r.text());
      await until(() => idle.relay.sessions?.size === 0, 30_000, 'idle session ended');
      await until(() => idle.module.peerCount === 0, 20_000, 'peer released');
    } finally {
      await client.close();
      await idle.close();
    }
  }, 90_000);
});
