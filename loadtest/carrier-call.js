// A phone call per iteration over a carrier's media socket, the carrier side played by the
// VU: Twilio, Telnyx, Vonage, Plivo, Exotel or Asterisk chan_websocket (CARRIER), each in
// its documented wire format (lib/carriers.js): the caller's audio in the carrier's codec
// and chunking, the relay's reply played in real time with every playback marker
// acknowledged once its audio has played, clear on barge-in, DTMF and hang-up.
//
//   k6 run -e CARRIER=vonage loadtest/carrier-call.js
//   k6 run -e CARRIER=telnyx -e IMPAIR=reorder100 loadtest/carrier-call.js
//
// The relay needs the carrier configured (loadtest/relay.yaml has all six).
// Environment: CARRIER (twilio), RELAY_URL (ws://127.0.0.1:8080) or CARRIER_URL (the
// carrier path's full URL), GATEWAY_URL, TOKEN | ADMIN_KEY (lib/k6-env.js),
// TWILIO_AUTH_TOKEN, TWILIO_SIGNED_BASE, TELNYX_STREAM_TOKEN, EXOTEL_BASIC (user:password),
// TURNS (2), SPEECH_MS (1200), VUS (5), DURATION (1m) or ITERATIONS, IMPAIR, SEED,
// BARGE_IN_MS, DTMF (digits sent before the hang-up, "1"), FIRST_AUDIO_P95_MS (2000),
// CLIENT_V2V_P95_MS (1050: the sim stage sum + 150 ms), CALL_OK_RATE (0.99), REPORT.
import { carrierScript } from './lib/carrier-script.js';

const script = carrierScript('twilio');

export const options = script.options;
export const setup = script.setup;
export default script.run;
export const handleSummary = script.handleSummary;
