import { describe, expect, it } from 'vitest';
import { FLAG_REPLY_END, HEADER_BYTES, decodeFrame, encodeFrame } from './wire.js';
import { parseClientEvent } from '../../frames/client-events.js';

describe('protocol v1 frames', () => {
  it('round-trips the header big-endian, wrapping seq and timestamp', () => {
    const payload = Buffer.from([1, 2, 3, 4]);
    const buf = encodeFrame(0xffff_ffff, 2 ** 32 + 5, FLAG_REPLY_END, payload);
    expect(buf.length).toBe(HEADER_BYTES + 4);
    expect(buf.subarray(0, 12).toString('hex')).toBe('ffffffff' + '00000005' + '0002' + '0000');
    const f = decodeFrame(buf);
    expect(f).toEqual({ seq: 0xffff_ffff, timestampMs: 5, flags: FLAG_REPLY_END, payload });
  });

  it('refuses short frames and unknown flags', () => {
    expect(decodeFrame(Buffer.alloc(5))).toEqual({
      error: 'frame shorter than the 12-byte header',
    });
    const bad = encodeFrame(1, 1, 0, Buffer.alloc(2));
    bad.writeUInt16BE(0x8000, 8);
    expect(decodeFrame(bad)).toEqual({ error: 'unknown frame flags 0x8000' });
  });
});

describe('client events', () => {
  it('accepts the documented events', () => {
    expect(parseClientEvent('{"type":"input.text","text":"hi"}')).toEqual({
      ok: true,
      event: { type: 'input.text', text: 'hi' },
    });
    expect(parseClientEvent('{"type":"playback.mark","seq":12}').ok).toBe(true);
  });

  it('explains what is wrong', () => {
    expect(parseClientEvent('nope')).toEqual({
      ok: false,
      message: 'text message is not valid JSON',
    });
    const r = parseClientEvent('{"type":"input.text"}');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain('text');
    expect(parseClientEvent('{"type":"bogus"}').ok).toBe(false);
  });
});
