/**
 * A lean encoder for the one message the relay sends 50 times a second per session: a
 * `RecognizeRequest` carrying an `AudioChunk`. protobufjs (through proto-loader) builds a
 * message object with `fromObject`, then an operation list in a `Writer`, then the buffer;
 * here the size is known up front and the bytes are written straight into one buffer. The
 * output is byte for byte what protobufjs writes for the same object (same field order,
 * present fields written even when zero); every other request shape goes to the generic
 * serializer.
 */
import {
  makeGenericClientConstructor,
  type ServiceClientConstructor,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { RecognizeRequest } from '../generated/voicerelay/v1/RecognizeRequest.js';
import { stageProtos } from './protos.js';

/** Field tags: (field number << 3) | wire type. */
const TAG_SEQ = (1 << 3) | 0; // uint32, varint
const TAG_CAPTURE_TS = (2 << 3) | 1; // double, 64-bit
const TAG_AUDIO = (3 << 3) | 2; // bytes
const TAG_CONCEALED = (4 << 3) | 0; // bool, varint
const TAG_REQUEST_AUDIO = (3 << 3) | 2; // RecognizeRequest.audio, length-delimited

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function writeVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

type AudioFields = NonNullable<RecognizeRequest['audio']>;

/** True when `req` is exactly `{ audio: { seq?, captureTsMs?, audio?, concealed? } }` with plain values. */
function isPlainAudio(req: RecognizeRequest): req is { audio: AudioFields } {
  const a = req.audio;
  return (
    a != null &&
    req.requestId === undefined &&
    req.config === undefined &&
    req.flush === undefined &&
    req.cancel === undefined &&
    (a.seq === undefined || (typeof a.seq === 'number' && a.seq >>> 0 === a.seq)) &&
    (a.captureTsMs === undefined || typeof a.captureTsMs === 'number') &&
    (a.audio === undefined || Buffer.isBuffer(a.audio)) &&
    (a.concealed === undefined || typeof a.concealed === 'boolean')
  );
}

/** The encoded request when it is a plain audio chunk, else undefined. */
export function encodeAudioRequest(req: RecognizeRequest): Buffer | undefined {
  if (!isPlainAudio(req)) {
    return undefined;
  }
  const a = req.audio;
  const seq = a.seq;
  const ts = a.captureTsMs as number | undefined;
  const audio = a.audio as Buffer | undefined;
  const concealed = a.concealed;
  let inner = 0;
  if (seq !== undefined) {
    inner += 1 + varintSize(seq);
  }
  if (ts !== undefined) {
    inner += 9;
  }
  if (audio !== undefined) {
    inner += 1 + varintSize(audio.length) + audio.length;
  }
  if (concealed !== undefined) {
    inner += 2;
  }
  const out = Buffer.allocUnsafe(1 + varintSize(inner) + inner);
  out[0] = TAG_REQUEST_AUDIO;
  let at = writeVarint(out, 1, inner);
  if (seq !== undefined) {
    out[at++] = TAG_SEQ;
    at = writeVarint(out, at, seq);
  }
  if (ts !== undefined) {
    out[at++] = TAG_CAPTURE_TS;
    out.writeDoubleLE(ts, at);
    at += 8;
  }
  if (audio !== undefined) {
    out[at++] = TAG_AUDIO;
    at = writeVarint(out, at, audio.length);
    at += audio.copy(out, at);
  }
  if (concealed !== undefined) {
    out[at++] = TAG_CONCEALED;
    out[at++] = concealed ? 1 : 0;
  }
  return out;
}

let ctor: ServiceClientConstructor | undefined;

/**
 * The SpeechToText client the relay's sessions use: the generated one, with audio chunks
 * serialized by `encodeAudioRequest` (everything else by protobufjs, as before).
 */
export function sttClientConstructor(): ServiceClientConstructor {
  if (ctor === undefined) {
    const service = stageProtos().SpeechToText.service as ServiceDefinition;
    const recognize = service['Recognize'];
    if (recognize === undefined) {
      throw new Error('SpeechToText has no Recognize method');
    }
    const generic = recognize.requestSerialize as (req: RecognizeRequest) => Buffer;
    ctor = makeGenericClientConstructor(
      {
        ...service,
        Recognize: {
          ...recognize,
          requestSerialize: (req: RecognizeRequest) => encodeAudioRequest(req) ?? generic(req),
        },
      },
      'SpeechToText',
    );
  }
  return ctor;
}
