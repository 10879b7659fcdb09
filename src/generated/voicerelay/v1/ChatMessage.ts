// Original file: proto/voicerelay/v1/llm.proto

import type { Role as _voicerelay_v1_Role, Role__Output as _voicerelay_v1_Role__Output } from '../../voicerelay/v1/Role.js';

export interface ChatMessage {
  'role'?: (_voicerelay_v1_Role);
  'content'?: (string);
}

export interface ChatMessage__Output {
  'role': (_voicerelay_v1_Role__Output);
  'content': (string);
}
