/** Import-graph rules: no cycles, and imports point one way (surfaces → engine → core and ports; adapters → ports). */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'the import graph is acyclic', from: {}, to: { circular: true } },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'core/ imports nothing with effects',
      from: { path: '^src/(core|validators|reports)/' },
      to: { path: '^src/(engine|adapters|surfaces|ports)/|^node:|^(fs|path|os|child_process|crypto)$', dependencyTypesNot: ['type-only'] },
    },
    { name: 'core-no-io-builtins', severity: 'error', from: { path: '^src/(core|validators|reports)/' }, to: { dependencyTypes: ['core'] } },
    { name: 'nothing-imports-surfaces', severity: 'error', from: { pathNot: '^src/surfaces/' }, to: { path: '^src/surfaces/' } },
    { name: 'engine-not-adapters', severity: 'error', comment: 'the composition root in surfaces/ picks adapters', from: { path: '^src/engine/' }, to: { path: '^src/adapters/' } },
    { name: 'adapters-not-engine', severity: 'error', from: { path: '^src/adapters/' }, to: { path: '^src/(engine|surfaces)/' } },
    { name: 'ports-are-interfaces', severity: 'error', from: { path: '^src/ports/' }, to: { path: '^src/(engine|adapters|surfaces)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
