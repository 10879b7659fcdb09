/**
 * Loads the stage contracts from proto/ with the same options the generated
 * types in src/generated were produced with (see `npm run gen:proto`).
 */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import type { ProtoGrpcType as SttProto } from '../generated/stt.js';
import type { ProtoGrpcType as LlmProto } from '../generated/llm.js';
import type { ProtoGrpcType as TtsProto } from '../generated/tts.js';

export const PROTO_DIR = fileURLToPath(new URL('../../proto', import.meta.url));

export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

type StageProtos = SttProto & LlmProto & TtsProto;

let cached: StageProtos['voicerelay']['v1'] | undefined;

/** The voicerelay.v1 package: service constructors and their definitions. */
export function stageProtos(): StageProtos['voicerelay']['v1'] {
  if (cached === undefined) {
    const def = loadSync(
      ['voicerelay/v1/stt.proto', 'voicerelay/v1/llm.proto', 'voicerelay/v1/tts.proto'],
      PROTO_LOADER_OPTIONS,
    );
    const root = loadPackageDefinition(def) as unknown as StageProtos;
    cached = root.voicerelay.v1;
  }
  return cached;
}
