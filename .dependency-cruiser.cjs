// One-way layering of src/: a module may import its own layer and the layers below it,
// never a layer above. `npm run lint` runs it (npm run lint:layers).
//
//   0  core, errors, frames, generated        clock, queues, seq math, the relay's own frames/events, proto types
//   1  media, grpc, config, observability, auth, state
//   2  stages, engines                        stage clients and the interfaces they implement; stage servers
//   3  pipeline, quota                        session orchestration, turns, budgets; tenant quotas
//   4  transports, client                     ws / webrtc / telephony ingress behind the ports
//                                             in transports/ports.ts; the client SDK
//   5  session                                sessions and the one admission gate (implements the ports)
//   6  server, gateway                        composition, HTTP surface
//   7  main, cli, cluster, healthcheck,      entry points (cluster: --workers) and test support
//      bench, testing
//
// Also: pipeline imports from stages only the interfaces it declares (stages/stage-ports.ts);
// gateway imports only state, auth, config, observability and layer 0; engines never
// import the relay (stages and up). Tests and test support (what tsconfig.build.json leaves out
// of dist/) may import anything, but product code never imports them.
'use strict';

const LAYERS = [
  ['core', 'errors', 'frames', 'generated'],
  ['media', 'grpc', 'config', 'observability', 'auth', 'state'],
  ['stages', 'engines'],
  ['pipeline', 'quota'],
  ['transports', 'client'],
  ['session'],
  ['server', 'gateway'],
  ['main\\.ts', 'main-cli\\.ts', 'healthcheck\\.ts', 'cli', 'cluster', 'bench', 'testing'],
];

// Test code and test support: the same set tsconfig.build.json keeps out of dist/.
const TEST_CODE = [
  '\\.test\\.ts$',
  '^src/testing/',
  '^src/bench/',
  '/test-support/',
  '/test-support\\.ts$',
  '/test-speech\\.ts$',
  '/fixtures/',
  '/fixtures\\.ts$',
  '-fixtures\\.ts$',
  '^src/media/vad/measure-silero\\.ts$',
  '^src/state/contract\\.ts$',
  '^src/state/redis-harness\\.ts$',
  '-scenario\\.ts$',
  '^src/transports/webrtc/browser-support\\.ts$',
  '^src/gateway/gateway-fixture\\.ts$',
];

const dirs = (names) => `^src/(${names.join('|')})(/|$)`;
const layerRules = LAYERS.slice(0, -1).map((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  return {
    name: `layer-${i}-imports-upward`,
    comment: `${layer.join(', ')} (layer ${i}) must not import a higher layer: ${above.join(', ')}`,
    severity: 'error',
    from: { path: dirs(layer), pathNot: TEST_CODE },
    to: { path: dirs(above) },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'gateway-imports-only-its-layers',
      comment: 'the gateway depends on state, auth, config, observability and layer 0 only',
      severity: 'error',
      from: { path: '^src/gateway/', pathNot: TEST_CODE },
      to: {
        path: '^src/',
        pathNot: [
          '^src/gateway/',
          dirs(['state', 'auth', 'config', 'observability', 'core', 'errors', 'frames']),
        ],
      },
    },
    {
      name: 'pipeline-sees-only-stage-ports',
      comment:
        'the pipeline declares its stages in stages/stage-ports.ts; the composition root injects the clients',
      severity: 'error',
      from: { path: '^src/pipeline/', pathNot: TEST_CODE },
      to: { path: '^src/stages/', pathNot: '^src/stages/stage-ports\\.ts$' },
    },
    {
      name: 'engines-never-import-the-relay',
      comment: 'stage servers depend on proto types, media and layer 0, never on the relay',
      severity: 'error',
      from: { path: '^src/engines/', pathNot: TEST_CODE },
      to: { path: dirs(['stages', 'state', 'auth', 'config', 'observability']) },
    },
    {
      name: 'product-imports-no-test-code',
      comment: 'test code and test support are left out of dist/: product code must not need them',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
