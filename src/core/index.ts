export * from './clock.js';
export * from './seq.js';
export * from './deadline.js';
export * from './queue.js';
export * from './ticker.js';
export * from './backoff.js';
