// Types of twilio.js (Twilio Media Streams wire helpers shared by k6 and Node).

export declare function base64Encode(bytes: Uint8Array): string;
export declare function base64Decode(text: string): Uint8Array;
export declare function linearToMulaw(sample: number): number;
export declare function pcm16ToMulaw(pcm: Uint8Array): Uint8Array;
export declare const MULAW_SILENCE_FRAME: Uint8Array;

export interface TwilioCall {
  accountSid: string;
  streamSid: string;
  callSid: string;
  customParameters?: Record<string, string>;
}

export declare function connectedMessage(): string;
export declare function startMessage(o: TwilioCall): string;
export declare function mediaMessage(
  streamSid: string,
  sequenceNumber: number,
  chunk: number,
  timestampMs: number,
  mulaw: Uint8Array,
): string;
export declare function markMessage(
  streamSid: string,
  sequenceNumber: number,
  name: string,
): string;
export declare function stopMessage(o: TwilioCall, sequenceNumber: number): string;

export interface PlayoutUpdate {
  kind: string;
  marksToEcho: string[];
  audioBytes: number;
}

export interface Playout {
  readonly mediaMessages: number;
  readonly firstMediaAt: number | null;
  onRelayMessage(text: string, nowMs: number): PlayoutUpdate;
  due(nowMs: number): string[];
  resetFirstMedia(): void;
}

export declare function createPlayout(): Playout;
