export * from './frames.js';
export * from './events.js';
