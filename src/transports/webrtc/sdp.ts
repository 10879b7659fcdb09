import { BlockList, isIP } from 'node:net';

/**
 * SDP helpers for the WHIP-style signalling: an address allow-list (exact IPs and CIDRs),
 * the candidate filter applied to werift's answer, and a structural check of offers.
 */

/** True when `address` is allowed. */
export type AddressMatcher = (address: string) => boolean;

/**
 * A matcher for a list of IPs and CIDRs (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`).
 * `0.0.0.0/0` and `::/0` allow every address of their family. Throws on a malformed entry.
 */
export function addressMatcher(list: readonly string[]): AddressMatcher {
  const bl = new BlockList();
  for (const raw of list) {
    const entry = raw.trim();
    const [ip = '', prefix] = entry.split('/');
    const family = isIP(ip);
    if (family === 0) {
      throw new RangeError(`not an IP address or CIDR: "${raw}"`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      bl.addAddress(ip, type);
      continue;
    }
    const bits = Number(prefix);
    if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) {
      throw new RangeError(`bad CIDR prefix in "${raw}"`);
    }
    bl.addSubnet(ip, bits, type);
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && bl.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/** The connection address of an `a=candidate:` line (the 5th field), or undefined. */
export function candidateAddress(line: string): string | undefined {
  const m = /^a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ /i.exec(line.trim());
  return m?.[1];
}

export interface CandidateFilterResult {
  sdp: string;
  kept: number;
  removed: number;
}

/**
 * Removes every `a=candidate:` line whose address is not allowed (mDNS `.local` names
 * included: they are never allowed), and rewrites a `c=` line naming a disallowed address
 * to `0.0.0.0`. Everything else, `a=end-of-candidates` included, is kept as is. Line
 * endings are normalised to CRLF.
 */
export function filterCandidates(sdp: string, allowed: AddressMatcher): CandidateFilterResult {
  let kept = 0;
  let removed = 0;
  const out: string[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('a=candidate:')) {
      const addr = candidateAddress(line);
      if (addr !== undefined && allowed(addr)) {
        kept++;
        out.push(line);
      } else {
        removed++;
      }
      continue;
    }
    const c = /^c=IN (IP4|IP6) (\S+)$/.exec(line);
    if (c !== null && c[2] !== undefined && !allowed(c[2]) && !isUnspecified(c[2])) {
      out.push(c[1] === 'IP4' ? 'c=IN IP4 0.0.0.0' : 'c=IN IP6 ::');
      continue;
    }
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') {
    out.pop();
  }
  return { sdp: `${out.join('\r\n')}\r\n`, kept, removed };
}

function isUnspecified(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::';
}

export interface OfferShape {
  audio: number;
  application: number;
  other: string[];
}

/** Counts the m-sections of an SDP by media type. */
export function offerShape(sdp: string): OfferShape {
  const shape: OfferShape = { audio: 0, application: 0, other: [] };
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^m=(\S+) /.exec(line);
    if (m === null || m[1] === undefined) {
      continue;
    }
    if (m[1] === 'audio') {
      shape.audio++;
    } else if (m[1] === 'application') {
      shape.application++;
    } else {
      shape.other.push(m[1]);
    }
  }
  return shape;
}

/**
 * Why an offer cannot be served (exactly one audio and one data-channel m-section, Opus
 * offered), or undefined when it is fine.
 */
export function offerProblem(sdp: string): string | undefined {
  if (!sdp.startsWith('v=0')) {
    return 'body is not an SDP offer';
  }
  const s = offerShape(sdp);
  if (s.audio !== 1) {
    return `the offer needs exactly one audio m-section (has ${s.audio})`;
  }
  if (s.application !== 1) {
    return 'the offer needs a data channel (create one named "events" before the offer)';
  }
  if (s.other.length > 0) {
    return `unsupported m-sections in the offer: ${s.other.join(', ')}`;
  }
  if (!/^a=rtpmap:\d+ opus\/48000/im.test(sdp)) {
    return 'the offer does not include Opus';
  }
  return undefined;
}
