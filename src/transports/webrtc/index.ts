/**
 * WebRTC ingress (architecture section 6): WHIP-style signalling on the media listener,
 * werift peers carrying Opus both ways, protocol v1 events on the `events` data channel,
 * and an optional browser demo page. See README.md in this folder.
 */
export { createWebRtcModule, WebRtcModule, type WebRtcModuleOptions } from './module.js';
export { demoRoutes, type WebRtcDemoOptions } from './demo-routes.js';
export { EVENTS_CHANNEL, WebRtcPeer, type WebRtcPeerStats } from './peer.js';
export { OPUS_SILENCE_FRAME, OpusDecoderAtRate, OpusEncoderAtRate } from './opus.js';
export { RtpReceiveState, RtpSendClock, Unwrapper, toU32 } from './rtp-seq.js';
export { addressMatcher, candidateAddress, filterCandidates, offerProblem } from './sdp.js';
export { demoPageHtml } from './demo-page.js';
