import type { ChannelOptions } from '@grpc/grpc-js';

/** Client-side settings of the stage channels (the relay config's `grpc` section). */
export interface StageChannelSettings {
  /** HTTP/2 connections (gRPC channels) per stage endpoint; sessions are spread over them. */
  channelsPerEndpoint: number;
  /** Interval of keepalive pings on a connection; the engine server must allow it. */
  keepaliveTimeMs: number;
  /** How long a ping may go unanswered before the connection is given up. */
  keepaliveTimeoutMs: number;
}

export const DEFAULT_STAGE_CHANNELS: Readonly<StageChannelSettings> = {
  channelsPerEndpoint: 4,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
};

/**
 * Channel options for stage clients: keepalive so a dead connection is noticed even
 * between turns, and large enough message limits for a few seconds of audio.
 * grpc-js sets TCP_NODELAY on its sockets itself (no Nagle delay on frames).
 */
export function stageChannelOptions(
  settings: Readonly<StageChannelSettings> = DEFAULT_STAGE_CHANNELS,
): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': settings.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': settings.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
    'grpc.max_send_message_length': 8 * 1024 * 1024,
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 5_000,
  };
}

/** The default options (keepalive every 30 s). */
export const STAGE_CHANNEL_OPTIONS: ChannelOptions = stageChannelOptions();
