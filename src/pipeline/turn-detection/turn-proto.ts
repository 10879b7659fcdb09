import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { ProtoGrpcType } from '../../generated/turn.js';
import { PROTO_LOADER_OPTIONS } from '../../grpc/protos.js';

let cached: ProtoGrpcType['voicerelay']['v1'] | undefined;

/** The TurnDetector service contract (proto/voicerelay/v1/turn.proto). */
export function turnProto(): ProtoGrpcType['voicerelay']['v1'] {
  if (cached === undefined) {
    const def = loadSync(['voicerelay/v1/turn.proto'], PROTO_LOADER_OPTIONS);
    cached = (loadPackageDefinition(def) as unknown as ProtoGrpcType).voicerelay.v1;
  }
  return cached;
}
