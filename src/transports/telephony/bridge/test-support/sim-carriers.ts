/**
 * Simulated carriers for end-to-end tests: each speaks one carrier's wire protocol from the
 * carrier's side (hand-written from the spec and the docs, independent of the serializers),
 * over a real WebSocket or TCP socket. A `SimCall` streams microphone audio in real time in
 * the carrier's codec and chunking, "plays" reply audio on a playout clock (with a small
 * carrier-side buffer), acknowledges marks when their audio has played, and answers clears
 * the way the carrier does (Twilio and Telnyx echo the marks still pending).
 */
export * from './sim-wire.js';
export * from './sim-ws-carriers.js';
export * from './sim-other-carriers.js';
export * from './sim-call.js';
