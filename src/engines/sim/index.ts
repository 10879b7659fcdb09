/** Simulated stage engines: see README.md in this folder. */
export {
  startSimServer,
  waitForSimEvent,
  SIM_SERVICE_NAMES,
  type SimServer,
  type SimServerOptions,
  type SimEngineHandle,
} from './server.js';
export {
  DEFAULT_FAULTS,
  DEFAULT_PROFILES,
  ProfileError,
  SIM_PROFILE_METADATA_KEY,
  mergeProfile,
  parseProfileJson,
  profileForCall,
  resolveProfiles,
  validateOverride,
  validateOverrides,
  type FaultProfile,
  type LlmProfile,
  type ProfileOverride,
  type SimEngineKind,
  type SimProfileOverrides,
  type SimProfiles,
  type SttProfile,
  type TtsProfile,
} from './profiles.js';
export {
  SimStats,
  type SimCallCancelled,
  type SimCallEnded,
  type SimCallInfo,
  type SimCallOutcome,
  type SimCancelVia,
  type SimEventName,
  type SimEvents,
  type SimStatsSnapshot,
} from './sim-monitor.js';
export { RequestLog, type LlmRequestRecord } from './llm-engine.js';
export { SIM_WORDS, TranscriptRule, parseTranscriptOption } from './stt-transcripts.js';
export { TtsTimeline } from './tts-timeline.js';
