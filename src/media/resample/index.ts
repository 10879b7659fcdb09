export { Resampler, type ResamplerOptions } from './resampler.js';
export {
  RESAMPLER_QUALITY,
  designBank,
  type FilterSpec,
  type PolyphaseBank,
  type ResamplerQuality,
} from './filter-design.js';
export * from './bounds.js';
