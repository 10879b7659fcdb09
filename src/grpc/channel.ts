import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * Channel options for stage clients: keepalive so a dead stage is noticed
 * between turns, and large enough message limits for a few seconds of audio.
 * grpc-js sets TCP_NODELAY on its sockets itself (no Nagle delay on frames).
 */
export const STAGE_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
  'grpc.max_send_message_length': 8 * 1024 * 1024,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5_000,
};
