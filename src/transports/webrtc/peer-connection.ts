import { RTCPeerConnection, useOPUS, type RTCIceServer, type RTCSessionDescription } from 'werift';
import { RelayError } from '../../errors/errors.js';
import type { AddressMatcher } from './sdp.js';

/** The ICE part of a peer's configuration (see WebRtcPeerConfig). */
export interface PeerIceConfig {
  iceServers: RTCIceServer[];
  hostAddresses: string[];
  iceUseIpv6: boolean;
  icePortRange: [number, number] | undefined;
  allowLocal: AddressMatcher;
  allowRemote: AddressMatcher | undefined;
}

/**
 * A werift peer connection offering Opus only, whose candidate pairs and STUN responses
 * are limited to the allowed local and remote addresses.
 */
export function createPeerConnection(c: PeerIceConfig): RTCPeerConnection {
  const { allowLocal, allowRemote } = c;
  return new RTCPeerConnection({
    iceServers: c.iceServers,
    iceUseIpv6: c.iceUseIpv6,
    iceAdditionalHostAddresses: c.hostAddresses,
    ...(c.icePortRange === undefined ? {} : { icePortRange: c.icePortRange }),
    iceFilterCandidatePair: (p) =>
      allowLocal(p.localCandidate.host) &&
      (allowRemote === undefined || allowRemote(p.remoteCandidate.host)),
    iceFilterStunResponse: (_m, addr) => allowRemote === undefined || allowRemote(addr[0]),
    codecs: { audio: [useOPUS()] },
  });
}

/** Applies the answer, waiting for ICE gathering at most `timeoutMs`. */
export async function setLocalAnswer(
  pc: RTCPeerConnection,
  answer: RTCSessionDescription,
  timeoutMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      pc.setLocalDescription(answer),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new RelayError('RELAY_ERR_INTERNAL', 'ICE gathering timed out')),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
