import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FrameCounter, FrameHistogram } from './frame-metrics.js';

/** Latency buckets in seconds: sub-ms for the hot path up to seconds for stages. */
const STAGE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
const FRAME_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025];

/**
 * Every metric of the relay, created against one registry. Times are observed in
 * seconds (Prometheus convention); the relay measures in ms and divides at this edge.
 */
export function createMetrics(registry: Registry = new Registry(), withDefaults = false) {
  if (withDefaults) {
    collectDefaultMetrics({ register: registry });
  }
  const r = [registry];
  return {
    registry,
    sessionsActive: new Gauge({
      name: 'relay_sessions_active',
      help: 'Sessions currently open, by transport',
      labelNames: ['transport'] as const,
      registers: r,
    }),
    sessionsTotal: new Counter({
      name: 'relay_sessions_total',
      help: 'Sessions opened, by transport',
      labelNames: ['transport'] as const,
      registers: r,
    }),
    upgrades: new Counter({
      name: 'relay_upgrades_total',
      help: 'Upgrade and signalling attempts by result (ok or the refusal code)',
      labelNames: ['result'] as const,
      registers: r,
    }),
    // Observed once per frame: the lean histogram (same series on /metrics).
    frameRelay: new FrameHistogram({
      name: 'relay_frame_relay_seconds',
      help: 'Relay-added frame latency: frame received on the socket to written to the STT stream',
      buckets: FRAME_BUCKETS,
      registers: r,
    }),
    framesIn: new FrameCounter({
      name: 'relay_frames_in_total',
      help: 'Audio frames received from clients',
      registers: r,
    }),
    framesOut: new FrameCounter({
      name: 'relay_frames_out_total',
      help: 'Reply audio frames written to clients',
      registers: r,
    }),
    framesDropped: new Counter({
      name: 'relay_frames_dropped_total',
      help: 'Frames dropped, by reason',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    jitterFrames: new Counter({
      name: 'relay_jitter_frames_total',
      help: 'Jitter buffer outcomes per frame (late, lost, concealed, duplicate, reordered)',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    jitterDelay: new Histogram({
      name: 'relay_jitter_target_delay_seconds',
      help: 'Jitter buffer target delay, sampled per session once per second',
      buckets: [0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.16, 0.2, 0.3],
      registers: r,
    }),
    stageFirstResponse: new Histogram({
      name: 'relay_stage_first_response_seconds',
      help: 'Stage call start to first response (STT: speech end to final transcript)',
      labelNames: ['stage', 'endpoint'] as const,
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
    stageErrors: new Counter({
      name: 'relay_stage_errors_total',
      help: 'Stage call failures by stage and relay error code',
      labelNames: ['stage', 'code'] as const,
      registers: r,
    }),
    sttReconnects: new Counter({
      name: 'relay_stt_stream_reopened_total',
      help: 'STT streams re-opened after a failure',
      registers: r,
    }),
    sttReplayedFrames: new Counter({
      name: 'relay_stt_replayed_frames_total',
      help: 'Caller audio frames written again on a re-opened STT stream (not yet finalised by the engine)',
      registers: r,
    }),
    endpointDelay: new Histogram({
      name: 'relay_endpoint_delay_seconds',
      help: 'Speech end to the relay deciding the turn is over',
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
    endpointWait: new Histogram({
      name: 'relay_endpoint_wait_seconds',
      help: 'Silence from speech end until the turn detector ended the turn, by pipeline and detector',
      labelNames: ['pipeline', 'detector'] as const,
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
    falseCutoffs: new Counter({
      name: 'relay_turn_false_cutoffs_total',
      help: 'Turns the relay ended while the caller resumed speaking within the false cut-off window',
      labelNames: ['pipeline', 'detector'] as const,
      registers: r,
    }),
    turnDetectorFallbacks: new Counter({
      name: 'relay_turn_detector_fallbacks_total',
      help: 'Questions to a gRPC turn detector answered by the embedded detector (late or down)',
      labelNames: ['pipeline'] as const,
      registers: r,
    }),
    sttFinal: new Histogram({
      name: 'relay_stt_final_seconds',
      help: 'Speech end to final transcript',
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
    llmTtft: new Histogram({
      name: 'relay_llm_ttft_seconds',
      help: 'LLM request sent to first token',
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
    ttsTtfa: new Histogram({
      name: 'relay_tts_ttfa_seconds',
      help: 'First text sent to TTS to first audio chunk',
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
    voiceToVoice: new Histogram({
      name: 'relay_voice_to_voice_seconds',
      help: 'Speech end to first reply audio (relay: written to the client; edge: playout confirmed)',
      labelNames: ['kind'] as const,
      buckets: STAGE_BUCKETS,
      registers: r,
    }),
    budgetExceeded: new Counter({
      name: 'relay_budget_exceeded_total',
      help: 'Stage budgets missed, by stage and the action taken',
      labelNames: ['stage', 'action'] as const,
      registers: r,
    }),
    waitingFirstToken: new Gauge({
      name: 'relay_waiting_first_token',
      help: 'LLM calls sent that have not produced a token yet',
      registers: r,
    }),
    llmTokens: new Counter({
      name: 'relay_llm_tokens_total',
      help: 'LLM tokens reported by the model, by direction (prompt, completion)',
      labelNames: ['direction'] as const,
      registers: r,
    }),
    bargeIn: new Histogram({
      name: 'relay_barge_in_seconds',
      help: 'Barge-in reaction: user speech onset to reply output stopped',
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2],
      registers: r,
    }),
    preemptive: new Counter({
      name: 'relay_preemptive_generations_total',
      help: 'Preemptive generations started on a partial transcript, by result (kept, discarded)',
      labelNames: ['result'] as const,
      registers: r,
    }),
    storeErrors: new Counter({
      name: 'relay_store_errors_total',
      help: 'State store operations that failed in the background, by operation',
      labelNames: ['op'] as const,
      registers: r,
    }),
    turns: new Counter({
      name: 'relay_turns_total',
      help: 'Utterances by their one outcome (done, interrupted, failed with stage and reason, cancelled by session close)',
      labelNames: ['outcome', 'stage', 'reason'] as const,
      registers: r,
    }),
    // ---- endpoint pools (README "Endpoint pools") ----
    stageRetries: new Counter({
      name: 'relay_stage_retries_total',
      help: 'Stage calls retried on the next endpoint after failing before their first response',
      labelNames: ['stage'] as const,
      registers: r,
    }),
    stageHedges: new Counter({
      name: 'relay_stage_hedges_total',
      help: 'Hedged stage calls, by result (started, won by the hedge, lost by the hedge) and endpoint (the hedge started on; the winner)',
      labelNames: ['stage', 'result', 'endpoint'] as const,
      registers: r,
    }),
    endpointEjections: new Counter({
      name: 'relay_endpoint_ejections_total',
      help: 'Endpoints taken out by their circuit breaker (errors or slow first responses)',
      labelNames: ['stage', 'endpoint'] as const,
      registers: r,
    }),
    endpointHealthy: new Gauge({
      name: 'relay_endpoint_healthy',
      help: 'Health-checked endpoints: 1 serving, 0 taken out by grpc.health.v1 checks',
      labelNames: ['stage', 'endpoint'] as const,
      registers: r,
    }),
    // ---- guard and redaction (README "Guard and redaction") ----
    guardRedactions: new Counter({
      name: 'relay_guard_redactions_total',
      help: 'PII masked by the guard, by kind (card, phone, number, email) and direction (input, reply)',
      labelNames: ['kind', 'direction'] as const,
      registers: r,
    }),
    guardBlocked: new Counter({
      name: 'relay_guard_blocked_total',
      help: 'Turns refused (input) or reply phrases replaced (reply) by the guard, by deny rule or moderation',
      labelNames: ['direction', 'by'] as const,
      registers: r,
    }),
    guardModerationErrors: new Counter({
      name: 'relay_guard_moderation_errors_total',
      help: 'Moderation requests that failed or timed out',
      registers: r,
    }),
    // ---- tools, fillers, dead air, TTS cache, echo (issue 18) ----
    toolCalls: new Counter({
      name: 'relay_tool_calls_total',
      help: 'Tool calls by where they ran (client, webhook, refused: unknown tool or invalid arguments) and result (ok, error)',
      labelNames: ['run', 'result'] as const,
      registers: r,
    }),
    fillers: new Counter({
      name: 'relay_fillers_total',
      help: 'Fillers spoken, by reason (tool, dead_air)',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    deadAir: new Histogram({
      name: 'relay_dead_air_seconds',
      help: 'Silence per turn: speech end to first reply audio plus gaps inside the reply',
      buckets: [0, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
      registers: r,
    }),
    ttsCache: new Counter({
      name: 'relay_tts_cache_requests_total',
      help: 'TTS cache look-ups by result (hit, miss)',
      labelNames: ['result'] as const,
      registers: r,
    }),
    echoDropped: new Counter({
      name: 'relay_echo_transcripts_dropped_total',
      help: "Transcripts dropped as echo of the agent's own voice, by kind (partial, final)",
      labelNames: ['kind'] as const,
      registers: r,
    }),
    // ---- tenant quotas (issue 20) ----
    quotaUsage: new Counter({
      name: 'relay_quota_usage_total',
      help: 'Usage counted against tenant quotas, by tenant and resource (llm_tokens, tts_chars, stt_seconds)',
      labelNames: ['tenant', 'resource'] as const,
      registers: r,
    }),
    quotaRefusals: new Counter({
      name: 'relay_quota_refusals_total',
      help: 'Turns refused or sessions ended at a tenant quota, by tenant, resource and action',
      labelNames: ['tenant', 'resource', 'action'] as const,
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
