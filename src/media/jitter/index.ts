export * from './jitter-types.js';
export { JitterBuffer } from './jitter-buffer.js';
export { FixedBuffer } from './fixed-buffer.js';
export { DelayHistogram } from './delay-histogram.js';
export * from './jitter-adapter.js';
export * from './traces.js';
export * from './replay.js';
