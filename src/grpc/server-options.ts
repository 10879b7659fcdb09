import type { ServerOptions } from '@grpc/grpc-js';

/**
 * Options of every engine gRPC server the project runs (the sim engines and the
 * standalone engine servers), chosen so that legitimate load never makes the server
 * close a connection:
 *
 * - keepalive pings from the relay are allowed at its interval, with or without calls
 *   (grpc-js servers do not police pings; the options say so for servers that do);
 * - no `grpc.max_connection_age_ms`: a connection is never retired while long-lived
 *   STT streams run on it;
 * - no `grpc.max_concurrent_streams`: Node's HTTP/2 server destroys a connection that
 *   had to refuse more than 100 streams, so a stream limit would turn a burst of session
 *   starts into a failed connection.
 *
 * What a grpc-js server cannot be told is its HTTP/2 stream-reset budget (nghttp2 sends
 * GOAWAY after about 1,000 RST_STREAMs in a burst, then 33 a second): clients keep within
 * it by half-closing calls they no longer need instead of resetting them, and by spreading
 * calls over several connections (see CallDrain and ChannelPool).
 */
export const ENGINE_SERVER_OPTIONS: ServerOptions = {
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
  'grpc.max_send_message_length': 8 * 1024 * 1024,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
};
