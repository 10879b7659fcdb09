import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AudioChunk as _voicerelay_v1_AudioChunk, AudioChunk__Output as _voicerelay_v1_AudioChunk__Output } from './voicerelay/v1/AudioChunk.js';
import type { AudioProgress as _voicerelay_v1_AudioProgress, AudioProgress__Output as _voicerelay_v1_AudioProgress__Output } from './voicerelay/v1/AudioProgress.js';
import type { Cancel as _voicerelay_v1_Cancel, Cancel__Output as _voicerelay_v1_Cancel__Output } from './voicerelay/v1/Cancel.js';
import type { Capabilities as _voicerelay_v1_Capabilities, Capabilities__Output as _voicerelay_v1_Capabilities__Output } from './voicerelay/v1/Capabilities.js';
import type { EndpointingConfig as _voicerelay_v1_EndpointingConfig, EndpointingConfig__Output as _voicerelay_v1_EndpointingConfig__Output } from './voicerelay/v1/EndpointingConfig.js';
import type { Flush as _voicerelay_v1_Flush, Flush__Output as _voicerelay_v1_Flush__Output } from './voicerelay/v1/Flush.js';
import type { FlushDone as _voicerelay_v1_FlushDone, FlushDone__Output as _voicerelay_v1_FlushDone__Output } from './voicerelay/v1/FlushDone.js';
import type { RecognitionConfig as _voicerelay_v1_RecognitionConfig, RecognitionConfig__Output as _voicerelay_v1_RecognitionConfig__Output } from './voicerelay/v1/RecognitionConfig.js';
import type { RecognizeRequest as _voicerelay_v1_RecognizeRequest, RecognizeRequest__Output as _voicerelay_v1_RecognizeRequest__Output } from './voicerelay/v1/RecognizeRequest.js';
import type { RecognizeResponse as _voicerelay_v1_RecognizeResponse, RecognizeResponse__Output as _voicerelay_v1_RecognizeResponse__Output } from './voicerelay/v1/RecognizeResponse.js';
import type { SpeechEvent as _voicerelay_v1_SpeechEvent, SpeechEvent__Output as _voicerelay_v1_SpeechEvent__Output } from './voicerelay/v1/SpeechEvent.js';
import type { SpeechToTextClient as _voicerelay_v1_SpeechToTextClient, SpeechToTextDefinition as _voicerelay_v1_SpeechToTextDefinition } from './voicerelay/v1/SpeechToText.js';
import type { Transcript as _voicerelay_v1_Transcript, Transcript__Output as _voicerelay_v1_Transcript__Output } from './voicerelay/v1/Transcript.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  voicerelay: {
    v1: {
      AudioChunk: MessageTypeDefinition<_voicerelay_v1_AudioChunk, _voicerelay_v1_AudioChunk__Output>
      AudioEncoding: EnumTypeDefinition
      AudioProgress: MessageTypeDefinition<_voicerelay_v1_AudioProgress, _voicerelay_v1_AudioProgress__Output>
      Cancel: MessageTypeDefinition<_voicerelay_v1_Cancel, _voicerelay_v1_Cancel__Output>
      Capabilities: MessageTypeDefinition<_voicerelay_v1_Capabilities, _voicerelay_v1_Capabilities__Output>
      EndpointingConfig: MessageTypeDefinition<_voicerelay_v1_EndpointingConfig, _voicerelay_v1_EndpointingConfig__Output>
      Flush: MessageTypeDefinition<_voicerelay_v1_Flush, _voicerelay_v1_Flush__Output>
      FlushDone: MessageTypeDefinition<_voicerelay_v1_FlushDone, _voicerelay_v1_FlushDone__Output>
      RecognitionConfig: MessageTypeDefinition<_voicerelay_v1_RecognitionConfig, _voicerelay_v1_RecognitionConfig__Output>
      RecognizeRequest: MessageTypeDefinition<_voicerelay_v1_RecognizeRequest, _voicerelay_v1_RecognizeRequest__Output>
      RecognizeResponse: MessageTypeDefinition<_voicerelay_v1_RecognizeResponse, _voicerelay_v1_RecognizeResponse__Output>
      SpeechEvent: MessageTypeDefinition<_voicerelay_v1_SpeechEvent, _voicerelay_v1_SpeechEvent__Output>
      /**
       * Streaming speech recognition. One long-lived stream per session.
       * The first request carries `config`; every later request carries audio,
       * flush or cancel. The server echoes `request_id` on every response.
       */
      SpeechToText: SubtypeConstructor<typeof grpc.Client, _voicerelay_v1_SpeechToTextClient> & { service: _voicerelay_v1_SpeechToTextDefinition }
      Transcript: MessageTypeDefinition<_voicerelay_v1_Transcript, _voicerelay_v1_Transcript__Output>
    }
  }
}

