export * from './g711.js';
export * from './codec.js';
