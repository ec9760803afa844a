/**
 * Import-graph rules: no cycles; imports point one way (surfaces → engine → core and ports; adapters → ports);
 * and inside engine/, each sub-folder imports only the folders below it:
 *
 *   repo  <  ledger  <  graph  <  evidence  <  drift, approvals, outbox  <  task
 *   telemetry (ledger)   ci (evidence, ledger)   setup (approvals, ledger)
 *
 * engine/context.ts (the Engine every use case takes) sits beside repo and ledger.
 */
const ENGINE_FOLDERS = [
  'repo',
  'ledger',
  'evidence',
  'drift',
  'approvals',
  'outbox',
  'task',
  'telemetry',
  'ci',
  'setup',
  'graph',
];

/** What each engine folder may import of its siblings. */
const ENGINE_MAY_IMPORT = {
  repo: [],
  ledger: ['repo'],
  evidence: ['repo', 'ledger', 'graph'],
  drift: ['repo', 'ledger', 'graph', 'evidence'],
  approvals: ['repo', 'ledger', 'evidence'],
  outbox: ['repo', 'ledger', 'evidence'],
  task: ['repo', 'ledger', 'evidence', 'drift', 'approvals', 'outbox'],
  telemetry: ['repo', 'ledger'],
  ci: ['repo', 'ledger', 'evidence'],
  setup: ['repo', 'ledger', 'approvals'],
  graph: ['repo', 'ledger'],
};

const engineRules = Object.entries(ENGINE_MAY_IMPORT).map(([folder, allowed]) => {
  const forbidden = ENGINE_FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  return {
    name: `engine-${folder}-layer`,
    severity: 'error',
    comment: `engine/${folder}/ imports only ${allowed.length ? allowed.map((f) => `engine/${f}/`).join(', ') : 'core, ports and engine/context.ts'} of the engine`,
    from: { path: `^src/engine/${folder}/` },
    to: { path: `^src/engine/(${forbidden.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'the import graph is acyclic', from: {}, to: { circular: true } },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'core/ imports nothing with effects',
      from: { path: '^src/(core|validators|reports)/' },
      to: {
        path: '^src/(engine|adapters|surfaces|ports)/|^node:|^(fs|path|os|child_process|crypto)$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'core-no-io-builtins',
      severity: 'error',
      from: { path: '^src/(core|validators|reports)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'nothing-imports-surfaces',
      severity: 'error',
      from: { pathNot: '^src/surfaces/' },
      to: { path: '^src/surfaces/' },
    },
    {
      name: 'engine-not-adapters',
      severity: 'error',
      comment: 'the composition root in surfaces/ picks adapters',
      from: { path: '^src/engine/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'adapters-not-engine',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(engine|surfaces)/' },
    },
    {
      name: 'ports-are-interfaces',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { path: '^src/(engine|adapters|surfaces)/' },
    },
    {
      name: 'engine-context-is-low',
      severity: 'error',
      comment: 'engine/context.ts opens the engine from the repository and the ledger, nothing above them',
      from: { path: '^src/engine/context\\.ts$' },
      to: { path: `^src/engine/(${ENGINE_FOLDERS.filter((f) => f !== 'repo' && f !== 'ledger').join('|')})/` },
    },
    {
      name: 'engine-in-folders',
      severity: 'error',
      comment: 'engine code lives in its sub-folders; only context.ts sits at the top',
      from: {},
      to: { path: '^src/engine/(?!context\\.ts$)[^/]+\\.ts$' },
    },
    ...engineRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
