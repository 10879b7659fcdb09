// Twilio Media Streams callers: carrier-call.js with CARRIER=twilio (kept under this name).
// Twilio's side of a bidirectional <Connect><Stream>: connected, start (the relay token in
// customParameters.token), µ-law media every 20 ms, mark echoes once the audio before a
// mark has played (or at once on clear), dtmf, stop; the upgrade is signed with
// X-Twilio-Signature. Environment as carrier-call.js; TWILIO_AUTH_TOKEN is required.
//
//   k6 run -e TWILIO_AUTH_TOKEN=... -e TURNS=3 loadtest/twilio-caller.js
import { carrierScript } from './lib/carrier-script.js';

const script = carrierScript('twilio');

export const options = script.options;
export const setup = script.setup;
export default script.run;
export const handleSummary = script.handleSummary;
