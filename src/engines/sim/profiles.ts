/**
 * Latency profiles and fault injection knobs of the simulated stage engines.
 *
 * Every engine has a full profile (defaults below, overridable per server) and
 * every call may override parts of it with the `x-sim-profile` metadata entry:
 * JSON of a partial profile of the engine receiving the call, or an object with
 * `stt` / `llm` / `tts` sections (the section of the receiving engine is used).
 */
import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { z } from 'zod';

export type SimEngineKind = 'stt' | 'llm' | 'tts';

export const SIM_PROFILE_METADATA_KEY = 'x-sim-profile';

export interface FaultProfile {
  /** Hold every response until this long after the call started (Infinity = until cancelled). */
  stallBeforeFirstMs: number;
  /** Send this many responses, then fail the call with `errorCode` (null = never). */
  errorAfterMessages: number | null;
  /** Status of the injected error (default INTERNAL). */
  errorCode: GrpcStatus;
  /** Send this many responses, then destroy the client's connection abruptly (null = never). */
  abortAfterMessages: number | null;
}

export interface SttProfile {
  /** A chunk whose RMS level is at least this is voiced. */
  energyThresholdDbfs: number;
  /** Trailing silence that ends an utterance (RecognitionConfig.endpointing.silence_ms overrides). */
  endpointSilenceMs: number;
  /** Delay between the endpoint decision and the final transcript. */
  finalDelayMs: number;
  /** An interim result every this many ms of voiced audio (when interim_results is on). */
  partialCadenceMs: number;
  /** Shortest voiced run counted as speech (endpointing.min_speech_ms overrides). */
  minSpeechMs: number;
  /** Voiced audio per transcript word (word-list rule and partial prefixes). */
  msPerWord: number;
  faults: FaultProfile;
}

export interface LlmProfile {
  /** Time from request receipt to the first delta. */
  ttftMs: number;
  /** Time between consecutive deltas. */
  interTokenMs: number;
  /** `echo`: "You said: <last user message>."; `scripted`: the script, by user turn. */
  mode: 'echo' | 'scripted';
  script: string[];
  /**
   * Tool calls made (in parallel) when the request declares tools and does not end with
   * tool results; only declared names are called. After results: "Result: <r1>; <r2>."
   */
  toolCalls: { name: string; arguments: string }[];
  faults: FaultProfile;
}

export interface TtsProfile {
  /** Time from the first text chunk to the first audio chunk. */
  firstAudioMs: number;
  /** Wall time spent per ms of audio produced (0.2 = 1 s of audio every 200 ms). */
  realTimeFactor: number;
  /** Audio duration per UTF-16 code unit of text (spaces and punctuation included). */
  msPerChar: number;
  /** Audio per chunk (the last chunk before a flush or the end may be shorter). */
  chunkMs: number;
  /** Text limit per stream, in UTF-16 code units (beyond it: RESOURCE_EXHAUSTED). */
  maxTextChars: number;
  faults: FaultProfile;
}

export interface SimProfiles {
  stt: SttProfile;
  llm: LlmProfile;
  tts: TtsProfile;
}

/** A partial profile: any top-level knob and any fault knob may be left out. */
export type ProfileOverride<P extends { faults: FaultProfile }> = Partial<Omit<P, 'faults'>> & {
  faults?: Partial<FaultProfile>;
};

export interface SimProfileOverrides {
  stt?: ProfileOverride<SttProfile>;
  llm?: ProfileOverride<LlmProfile>;
  tts?: ProfileOverride<TtsProfile>;
}

export const DEFAULT_FAULTS: Readonly<FaultProfile> = {
  stallBeforeFirstMs: 0,
  errorAfterMessages: null,
  errorCode: GrpcStatus.INTERNAL,
  abortAfterMessages: null,
};

export const DEFAULT_PROFILES: Readonly<SimProfiles> = {
  stt: {
    energyThresholdDbfs: -40,
    endpointSilenceMs: 500,
    finalDelayMs: 100,
    partialCadenceMs: 200,
    minSpeechMs: 60,
    msPerWord: 250,
    faults: DEFAULT_FAULTS,
  },
  llm: {
    ttftMs: 200,
    interTokenMs: 20,
    mode: 'echo',
    script: ['Hello, how can I help you today?'],
    toolCalls: [],
    faults: DEFAULT_FAULTS,
  },
  tts: {
    firstAudioMs: 100,
    realTimeFactor: 0.2,
    msPerChar: 60,
    chunkMs: 100,
    maxTextChars: 64 * 1024,
    faults: DEFAULT_FAULTS,
  },
};

/** A profile that could not be parsed or validated. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

const ms = z.number().min(0);
const positiveMs = z.number().positive();
const count = z.number().int().min(0).nullable();
const statusNames = Object.keys(GrpcStatus).filter((k) => Number.isNaN(Number(k)));

const faultsSchema = z
  .strictObject({
    stallBeforeFirstMs: z
      .union([ms, z.literal(Infinity), z.literal('Infinity')])
      .transform((v) => (v === 'Infinity' ? Infinity : v)),
    errorAfterMessages: count,
    errorCode: z
      .union([z.number().int().min(1).max(16), z.enum(statusNames as [string, ...string[]])])
      .transform((v) =>
        typeof v === 'number' ? v : (GrpcStatus[v as keyof typeof GrpcStatus] as number),
      ),
    abortAfterMessages: count,
  })
  .partial();

const sttSchema = z
  .strictObject({
    energyThresholdDbfs: z.number().max(0),
    endpointSilenceMs: positiveMs,
    finalDelayMs: ms,
    partialCadenceMs: positiveMs,
    minSpeechMs: ms,
    msPerWord: positiveMs,
    faults: faultsSchema,
  })
  .partial();

const llmSchema = z
  .strictObject({
    ttftMs: ms,
    interTokenMs: ms,
    mode: z.enum(['echo', 'scripted']),
    script: z.array(z.string()).min(1),
    toolCalls: z.array(z.strictObject({ name: z.string().min(1), arguments: z.string() })),
    faults: faultsSchema,
  })
  .partial();

const ttsSchema = z
  .strictObject({
    firstAudioMs: ms,
    realTimeFactor: ms,
    msPerChar: positiveMs,
    chunkMs: z.number().min(5).max(10_000),
    maxTextChars: z.number().int().positive(),
    faults: faultsSchema,
  })
  .partial();

const SCHEMAS = { stt: sttSchema, llm: llmSchema, tts: ttsSchema } as const;

const overridesSchema = z
  .strictObject({ stt: sttSchema, llm: llmSchema, tts: ttsSchema })
  .partial();

/** Drop keys whose value is undefined (zod's partial output keeps them as optional-undefined). */
function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) {
      out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? compact(v) : v;
    }
  }
  return out as T;
}

function check<T>(schema: z.ZodType<unknown>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ProfileError(`invalid ${what}: ${z.prettifyError(result.error)}`);
  }
  return compact(result.data as object) as T;
}

/** Validate a partial profile of one engine (throws ProfileError). */
export function validateOverride<K extends SimEngineKind>(
  engine: K,
  value: unknown,
): ProfileOverride<SimProfiles[K]> {
  return check(SCHEMAS[engine], value, `${engine} profile`);
}

/** Validate `{ stt?, llm?, tts? }` partial profiles, e.g. a CLI profile file (throws ProfileError). */
export function validateOverrides(value: unknown): SimProfileOverrides {
  return check(overridesSchema, value, 'sim profiles');
}

/** A full profile: `base` with `override` applied (faults merged knob by knob). */
export function mergeProfile<P extends { faults: FaultProfile }>(
  base: P,
  override: ProfileOverride<P> | undefined,
): P {
  if (override === undefined) {
    return base;
  }
  const { faults, ...rest } = override;
  return { ...base, ...rest, faults: { ...base.faults, ...faults } };
}

/** Full profiles of every engine: the defaults with validated overrides applied. */
export function resolveProfiles(overrides: SimProfileOverrides = {}): SimProfiles {
  const valid = validateOverrides(overrides);
  return {
    stt: mergeProfile(DEFAULT_PROFILES.stt, valid.stt),
    llm: mergeProfile(DEFAULT_PROFILES.llm, valid.llm),
    tts: mergeProfile(DEFAULT_PROFILES.tts, valid.tts),
  };
}

/** Parse the JSON of an `x-sim-profile` entry for one engine (throws ProfileError). */
export function parseProfileJson<K extends SimEngineKind>(
  engine: K,
  json: string,
): ProfileOverride<SimProfiles[K]> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ProfileError(`${SIM_PROFILE_METADATA_KEY} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProfileError(`${SIM_PROFILE_METADATA_KEY} must be a JSON object`);
  }
  if ('stt' in value || 'llm' in value || 'tts' in value) {
    return validateOverrides(value)[engine] ?? {};
  }
  return validateOverride(engine, value);
}

/** The profile of one call: `base` with the call's `x-sim-profile` metadata applied (throws ProfileError). */
export function profileForCall<K extends SimEngineKind>(
  engine: K,
  base: SimProfiles[K],
  metadata: Metadata,
): SimProfiles[K] {
  const values = metadata.get(SIM_PROFILE_METADATA_KEY);
  let profile = base;
  for (const value of values) {
    const json = typeof value === 'string' ? value : value.toString('utf8');
    profile = mergeProfile(profile, parseProfileJson(engine, json));
  }
  return profile;
}
