export { buildGateway, GATEWAY_BODY_LIMIT } from './app.js';
export { startGateway, type GatewayListenOptions, type RunningGateway } from './listen.js';
export type { AuthFailureLimit, DevTokenConfig, GatewayDeps, GatewayTokenConfig } from './types.js';
