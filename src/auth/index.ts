export * from './principal.js';
export * from './api-keys.js';
export * from './admin.js';
export * from './jwt.js';
export * from './client-token.js';
export * from './extract.js';
export * from './authenticator.js';
export * from './loopback.js';
