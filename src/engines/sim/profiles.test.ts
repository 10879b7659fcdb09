import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROFILES,
  parseProfileJson,
  ProfileError,
  profileForCall,
  resolveProfiles,
  SIM_PROFILE_METADATA_KEY,
  validateOverrides,
} from './profiles.js';

describe('sim profiles', () => {
  it('has the documented defaults', () => {
    const p = resolveProfiles();
    expect(p.stt).toMatchObject({
      energyThresholdDbfs: -40,
      endpointSilenceMs: 500,
      finalDelayMs: 100,
      partialCadenceMs: 200,
      minSpeechMs: 60,
    });
    expect(p.llm).toMatchObject({ ttftMs: 200, interTokenMs: 20, mode: 'echo' });
    expect(p.tts).toMatchObject({
      firstAudioMs: 100,
      realTimeFactor: 0.2,
      msPerChar: 60,
      chunkMs: 100,
    });
    expect(p.tts.faults).toEqual({
      stallBeforeFirstMs: 0,
      errorAfterMessages: null,
      errorCode: GrpcStatus.INTERNAL,
      abortAfterMessages: null,
    });
  });

  it('merges overrides knob by knob, faults included', () => {
    const p = resolveProfiles({ llm: { ttftMs: 5, faults: { errorAfterMessages: 2 } } });
    expect(p.llm.ttftMs).toBe(5);
    expect(p.llm.interTokenMs).toBe(DEFAULT_PROFILES.llm.interTokenMs);
    expect(p.llm.faults).toMatchObject({ errorAfterMessages: 2, stallBeforeFirstMs: 0 });
    expect(p.stt).toEqual(DEFAULT_PROFILES.stt);
  });

  it('parses x-sim-profile JSON: Infinity, status names, engine sections', () => {
    expect(parseProfileJson('tts', '{"faults":{"stallBeforeFirstMs":"Infinity"}}').faults).toEqual({
      stallBeforeFirstMs: Infinity,
    });
    expect(
      parseProfileJson('llm', '{"faults":{"errorCode":"UNAVAILABLE"}}').faults?.errorCode,
    ).toBe(GrpcStatus.UNAVAILABLE);
    expect(parseProfileJson('stt', '{"stt":{"finalDelayMs":7},"llm":{"ttftMs":1}}')).toEqual({
      finalDelayMs: 7,
    });
    expect(parseProfileJson('tts', '{"stt":{"finalDelayMs":7}}')).toEqual({});
  });

  it('rejects bad JSON, unknown knobs and out-of-range values', () => {
    for (const bad of [
      'nope',
      '"str"',
      '{"ttftMs":"1"}',
      '{"ttft":1}',
      '{"script":[]}',
      '{"faults":{"x":1}}',
    ]) {
      expect(() => parseProfileJson('llm', bad)).toThrow(ProfileError);
    }
    expect(() => validateOverrides({ tts: { realTimeFactor: -1 } })).toThrow(ProfileError);
    expect(() => validateOverrides({ asr: {} })).toThrow(/asr/);
  });

  it('applies the metadata of a call on top of the base profile', () => {
    const md = new Metadata();
    md.set(
      SIM_PROFILE_METADATA_KEY,
      JSON.stringify({ ttftMs: 1, faults: { abortAfterMessages: 4 } }),
    );
    const p = profileForCall('llm', DEFAULT_PROFILES.llm, md);
    expect(p.ttftMs).toBe(1);
    expect(p.faults.abortAfterMessages).toBe(4);
    expect(profileForCall('llm', DEFAULT_PROFILES.llm, new Metadata())).toBe(DEFAULT_PROFILES.llm);
  });
});
