/** Minimal RIFF/WAVE (PCM16) reading and writing. */

export interface PcmAudio {
  sampleRateHz: number;
  channels: number;
  /** Interleaved PCM16LE samples. */
  data: Buffer;
}

export function encodeWav(audio: PcmAudio): Buffer {
  const header = Buffer.alloc(44);
  const byteRate = audio.sampleRateHz * audio.channels * 2;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + audio.data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(audio.channels, 22);
  header.writeUInt32LE(audio.sampleRateHz, 24);
  header.writeUInt32LE(byteRate, 28);
  header.writeUInt16LE(audio.channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(audio.data.length, 40);
  return Buffer.concat([header, audio.data]);
}

/**
 * Parse a PCM16 WAV. Streaming headers (size fields 0xffffffff or 0x7fffffff,
 * as espeak-ng writes) are accepted: the data then runs to the end of the file.
 */
export function decodeWav(file: Buffer): PcmAudio {
  if (
    file.length < 12 ||
    file.toString('ascii', 0, 4) !== 'RIFF' ||
    file.toString('ascii', 8, 12) !== 'WAVE'
  ) {
    throw new Error('not a RIFF/WAVE file');
  }
  let offset = 12;
  let format: { channels: number; sampleRateHz: number; bits: number; tag: number } | undefined;
  while (offset + 8 <= file.length) {
    const id = file.toString('ascii', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = {
        tag: file.readUInt16LE(body),
        channels: file.readUInt16LE(body + 2),
        sampleRateHz: file.readUInt32LE(body + 4),
        bits: file.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (format === undefined) {
        throw new Error('WAV data chunk before fmt chunk');
      }
      if (format.tag !== 1 || format.bits !== 16) {
        throw new Error(
          `unsupported WAV format: tag ${format.tag}, ${format.bits} bits (PCM16 only)`,
        );
      }
      const end = size >= 0x7fffffff ? file.length : Math.min(file.length, body + size);
      const len = (end - body) & ~1;
      return {
        sampleRateHz: format.sampleRateHz,
        channels: format.channels,
        data: file.subarray(body, body + len),
      };
    }
    offset = body + size + (size & 1);
  }
  throw new Error('WAV file has no data chunk');
}

/** Down-mix interleaved PCM16 to mono by averaging channels. */
export function toMono(audio: PcmAudio): PcmAudio {
  if (audio.channels === 1) {
    return audio;
  }
  const frames = Math.floor(audio.data.length / 2 / audio.channels);
  const out = Buffer.alloc(frames * 2);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < audio.channels; c++) {
      sum += audio.data.readInt16LE((i * audio.channels + c) * 2);
    }
    out.writeInt16LE(Math.round(sum / audio.channels), i * 2);
  }
  return { sampleRateHz: audio.sampleRateHz, channels: 1, data: out };
}
