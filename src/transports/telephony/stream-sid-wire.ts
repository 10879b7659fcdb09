import type { WireMessage } from './types.js';

/**
 * Outbound JSON of the carriers that address a stream by its sid (Twilio `streamSid`,
 * Exotel `stream_sid`): media, mark and clear, in the carriers' documented key order.
 */
export type SidKey = 'streamSid' | 'stream_sid';

export function sidMediaMessages(
  key: SidKey,
  sid: string | undefined,
  chunks: Buffer[],
): WireMessage[] {
  if (sid === undefined) {
    return [];
  }
  const prefix = `{"event":"media","${key}":${JSON.stringify(sid)},"media":{"payload":"`;
  return chunks.map((c) => `${prefix}${c.toString('base64')}"}}`);
}

export function sidMark(key: SidKey, sid: string, name: string): WireMessage {
  return JSON.stringify({ event: 'mark', [key]: sid, mark: { name } });
}

export function sidClear(key: SidKey, sid: string | undefined): WireMessage[] {
  return sid === undefined ? [] : [JSON.stringify({ event: 'clear', [key]: sid })];
}
