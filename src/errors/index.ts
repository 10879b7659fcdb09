export * from './errors.js';
export * from './map.js';
