import { describe, expect, it } from 'vitest';
import { addressMatcher, candidateAddress, filterCandidates, offerProblem } from './sdp.js';

const ANSWER = [
  'v=0',
  'o=- 1 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=audio 51000 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 192.0.2.2',
  'a=candidate:1 1 udp 2130706431 192.0.2.2 51000 typ host',
  'a=candidate:2 1 udp 2130706175 127.0.0.1 51001 typ host',
  'a=candidate:3 1 udp 2130705919 fd00::2 51002 typ host',
  'a=candidate:4 1 udp 1694498815 203.0.113.9 40000 typ srflx raddr 192.0.2.2 rport 51000',
  'a=candidate:5 1 udp 2113937151 3f1c2a.local 51003 typ host',
  'a=end-of-candidates',
  'a=rtpmap:111 opus/48000/2',
  'm=application 51000 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 127.0.0.1',
  'a=candidate:2 1 udp 2130706175 127.0.0.1 51001 typ host',
  'a=sctp-port:5000',
  '',
].join('\r\n');

describe('addressMatcher', () => {
  it('matches exact IPs and CIDRs of both families, and nothing else', () => {
    const m = addressMatcher(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    expect(m('127.0.0.1')).toBe(true);
    expect(m('127.0.0.2')).toBe(false);
    expect(m('10.200.3.4')).toBe(true);
    expect(m('11.0.0.1')).toBe(false);
    expect(m('fd00::2')).toBe(true);
    expect(m('::1')).toBe(false);
    expect(m('abc.local')).toBe(false);
    expect(m('')).toBe(false);
    const all = addressMatcher(['0.0.0.0/0']);
    expect(all('203.0.113.9')).toBe(true);
    expect(all('::1')).toBe(false);
  });

  it('refuses malformed entries', () => {
    expect(() => addressMatcher(['localhost'])).toThrow(/not an IP/);
    expect(() => addressMatcher(['10.0.0.0/33'])).toThrow(/prefix/);
    expect(() => addressMatcher(['10.0.0.0/x'])).toThrow(/prefix/);
  });
});

describe('filterCandidates', () => {
  it('keeps only allowed candidates (loopback), strips NIC, IPv6, srflx and mDNS ones', () => {
    const r = filterCandidates(ANSWER, addressMatcher(['127.0.0.1']));
    expect(r.kept).toBe(2);
    expect(r.removed).toBe(4);
    const cands = r.sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    expect(cands.map(candidateAddress)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(r.sdp).not.toContain('192.0.2.2 51000 typ host');
    expect(r.sdp).not.toContain('.local');
    expect(r.sdp).toContain('a=end-of-candidates');
    // A c= line naming a disallowed address no longer leaks it.
    expect(r.sdp).toContain('m=audio 51000 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n');
    expect(r.sdp).toContain('c=IN IP4 127.0.0.1');
    expect(r.sdp.endsWith('\r\n')).toBe(true);
    expect(r.sdp).not.toMatch(/\r\n\r\n$/);
  });

  it('keeps everything with a wide allow-list and handles LF-only input', () => {
    const r = filterCandidates(
      ANSWER.replace(/\r\n/g, '\n'),
      addressMatcher(['0.0.0.0/0', '::/0']),
    );
    expect(r.kept).toBe(5); // only the mDNS name goes
    expect(r.removed).toBe(1);
    expect(r.sdp).toContain('c=IN IP4 192.0.2.2\r\n');
  });

  it('parses candidate addresses', () => {
    expect(candidateAddress('a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host')).toBe(
      '127.0.0.1',
    );
    expect(
      candidateAddress('a=candidate:842163049 1 tcp 1518280447 ::1 9 typ host tcptype active'),
    ).toBe('::1');
    expect(candidateAddress('a=candidate:garbage')).toBeUndefined();
  });
});

describe('offerProblem', () => {
  const offer = (mlines: string[], opus = true): string =>
    ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', ...mlines]
      .concat(opus ? ['a=rtpmap:111 opus/48000/2'] : [])
      .join('\r\n');

  it('accepts one audio and one data channel section with Opus', () => {
    expect(
      offerProblem(offer(['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'm=application 9 UDP/DTLS/SCTP x'])),
    ).toBeUndefined();
  });

  it('names what is wrong', () => {
    expect(offerProblem('hello')).toMatch(/not an SDP/);
    expect(offerProblem(offer(['m=application 9 UDP/DTLS/SCTP x']))).toMatch(/audio/);
    expect(offerProblem(offer(['m=audio 9 UDP/TLS/RTP/SAVPF 111']))).toMatch(/events/);
    expect(
      offerProblem(
        offer([
          'm=audio 9 UDP/TLS/RTP/SAVPF 111',
          'm=video 9 UDP/TLS/RTP/SAVPF 96',
          'm=application 9 UDP/DTLS/SCTP x',
        ]),
      ),
    ).toMatch(/video/);
    expect(
      offerProblem(
        offer(['m=audio 9 UDP/TLS/RTP/SAVPF 0', 'm=application 9 UDP/DTLS/SCTP x'], false),
      ),
    ).toMatch(/Opus/);
  });
});
