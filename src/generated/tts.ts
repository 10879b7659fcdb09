import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AudioOut as _voicerelay_v1_AudioOut, AudioOut__Output as _voicerelay_v1_AudioOut__Output } from './voicerelay/v1/AudioOut.js';
import type { Cancel as _voicerelay_v1_Cancel, Cancel__Output as _voicerelay_v1_Cancel__Output } from './voicerelay/v1/Cancel.js';
import type { Flush as _voicerelay_v1_Flush, Flush__Output as _voicerelay_v1_Flush__Output } from './voicerelay/v1/Flush.js';
import type { FlushDone as _voicerelay_v1_FlushDone, FlushDone__Output as _voicerelay_v1_FlushDone__Output } from './voicerelay/v1/FlushDone.js';
import type { SynthesisConfig as _voicerelay_v1_SynthesisConfig, SynthesisConfig__Output as _voicerelay_v1_SynthesisConfig__Output } from './voicerelay/v1/SynthesisConfig.js';
import type { SynthesisDone as _voicerelay_v1_SynthesisDone, SynthesisDone__Output as _voicerelay_v1_SynthesisDone__Output } from './voicerelay/v1/SynthesisDone.js';
import type { SynthesizeRequest as _voicerelay_v1_SynthesizeRequest, SynthesizeRequest__Output as _voicerelay_v1_SynthesizeRequest__Output } from './voicerelay/v1/SynthesizeRequest.js';
import type { SynthesizeResponse as _voicerelay_v1_SynthesizeResponse, SynthesizeResponse__Output as _voicerelay_v1_SynthesizeResponse__Output } from './voicerelay/v1/SynthesizeResponse.js';
import type { TextChunk as _voicerelay_v1_TextChunk, TextChunk__Output as _voicerelay_v1_TextChunk__Output } from './voicerelay/v1/TextChunk.js';
import type { TextSpan as _voicerelay_v1_TextSpan, TextSpan__Output as _voicerelay_v1_TextSpan__Output } from './voicerelay/v1/TextSpan.js';
import type { TextToSpeechClient as _voicerelay_v1_TextToSpeechClient, TextToSpeechDefinition as _voicerelay_v1_TextToSpeechDefinition } from './voicerelay/v1/TextToSpeech.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  voicerelay: {
    v1: {
      AudioEncoding: EnumTypeDefinition
      AudioOut: MessageTypeDefinition<_voicerelay_v1_AudioOut, _voicerelay_v1_AudioOut__Output>
      Cancel: MessageTypeDefinition<_voicerelay_v1_Cancel, _voicerelay_v1_Cancel__Output>
      Flush: MessageTypeDefinition<_voicerelay_v1_Flush, _voicerelay_v1_Flush__Output>
      FlushDone: MessageTypeDefinition<_voicerelay_v1_FlushDone, _voicerelay_v1_FlushDone__Output>
      SynthesisConfig: MessageTypeDefinition<_voicerelay_v1_SynthesisConfig, _voicerelay_v1_SynthesisConfig__Output>
      SynthesisDone: MessageTypeDefinition<_voicerelay_v1_SynthesisDone, _voicerelay_v1_SynthesisDone__Output>
      SynthesizeRequest: MessageTypeDefinition<_voicerelay_v1_SynthesizeRequest, _voicerelay_v1_SynthesizeRequest__Output>
      SynthesizeResponse: MessageTypeDefinition<_voicerelay_v1_SynthesizeResponse, _voicerelay_v1_SynthesizeResponse__Output>
      TextChunk: MessageTypeDefinition<_voicerelay_v1_TextChunk, _voicerelay_v1_TextChunk__Output>
      TextSpan: MessageTypeDefinition<_voicerelay_v1_TextSpan, _voicerelay_v1_TextSpan__Output>
      /**
       * Streaming synthesis. One bidi stream per turn: config first, then text
       * chunks as the reply forms, then Flush (or half-close) when the text is
       * complete. Every audio chunk says which text it completes (alignment).
       */
      TextToSpeech: SubtypeConstructor<typeof grpc.Client, _voicerelay_v1_TextToSpeechClient> & { service: _voicerelay_v1_TextToSpeechDefinition }
    }
  }
}

