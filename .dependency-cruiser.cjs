/**
 * The layer rules of README's Development section, checked by `npm test` (`npm run deps`).
 * Type-only imports count too: a loop of types is still a loop a reader walks.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No import cycles, static, dynamic or type-only: each module has one place in the layers.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'model-imports-nothing',
      severity: 'error',
      comment: 'main/model.ts is the plain data every layer shares: it imports nothing of the project.',
      from: { path: '^main/model\\.ts$' },
      to: { path: '^(main|preload|renderer)/' },
    },
    {
      name: 'store-never-imports-auth',
      severity: 'error',
      comment: 'Storage keeps records; it knows nothing of OAuth.',
      from: { path: '^main/store/' },
      to: { path: '^main/(auth|accounts|cli|app)(/|\\.ts$)' },
    },
    {
      name: 'auth-never-imports-faces',
      severity: 'error',
      comment: 'The protocol layer does not know who calls it.',
      from: { path: '^main/auth/' },
      to: { path: '^main/(accounts|cli|app)(/|\\.ts$)' },
    },
    {
      name: 'only-app-imports-electron',
      severity: 'error',
      comment: 'Only main/app/ (and the preload) imports electron; everything else runs under plain Node.',
      from: { pathNot: '^(main/app|preload)/' },
      to: { path: '^electron$|node_modules/electron/' },
    },
    {
      name: 'renderer-imports-only-the-contract',
      severity: 'error',
      comment: 'The window knows the main process only through the IPC contract.',
      from: { path: '^renderer/' },
      to: { path: '^(main|preload)/', pathNot: '^preload/api\\.ts$' },
    },
    {
      name: 'contract-imports-only-model-and-errors',
      severity: 'error',
      comment: 'The IPC contract is shared with the renderer: it may name only plain data.',
      from: { path: '^preload/api\\.ts$' },
      to: { path: '^main/', pathNot: '^main/(model|errors)\\.ts$' },
    },
    {
      name: 'faces-do-not-import-each-other',
      severity: 'error',
      comment: 'The command and the app are faces over the same core; neither imports the other.',
      from: { path: '^main/app/' },
      to: { path: '^main/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
