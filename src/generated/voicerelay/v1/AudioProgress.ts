// Original file: proto/voicerelay/v1/stt.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Flow control the relay can see: how many audio messages of this stream the engine has
 * taken in. Sent at least every AUDIO_PROGRESS_EVERY (25) audio messages while audio
 * flows. The relay's write queue is what it sent minus this, whatever the transport
 * buffers; without it the relay can only see its own write buffer.
 */
export interface AudioProgress {
  'audioMessages'?: (number | string | Long);
}

/**
 * Flow control the relay can see: how many audio messages of this stream the engine has
 * taken in. Sent at least every AUDIO_PROGRESS_EVERY (25) audio messages while audio
 * flows. The relay's write queue is what it sent minus this, whatever the transport
 * buffers; without it the relay can only see its own write buffer.
 */
export interface AudioProgress__Output {
  'audioMessages': (number);
}
