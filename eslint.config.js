import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// Quanta's layers (ARCHITECTURE.md): each may import only from the layers before it.
//   kernel <- model <- config <- domains <- pipeline <- server, runtime <- edge files <- cli <- roots
// Domains are the capability folders; a capability's edge files (its routes, their OpenAPI
// schemas and its module) sit in its folder but belong to the outer layer, where the HTTP app and the runtime are.
const DOMAINS = ['platform', 'accounts', 'access', 'apps', 'identity', 'profiles', 'planning', 'catalog', 'calculated', 'audiences', 'analytics', 'connections', 'consent', 'feeds', 'livestream', 'sources', 'erasure', 'privacy'];
const EDGE = ['src/**/*.routes.ts', 'src/**/*.module.ts', 'src/**/*.openapi.ts'];
const TESTS = ['**/*.test.ts'];
const dirs = (...names) => names.map((n) => `./src/${n}/**/*`);
const edgeFiles = EDGE.map((g) => `./${g}`);
// `from` takes globs only (the plugin refuses a mix of globs and paths).
const rootFiles = ['./src/{main,cli,processor-main,capabilities}.ts'];

/** A lint block: the files of one layer may not import `from` (paths, globs). */
function layer(name, files, from, options = {}) {
  return {
    name: `quanta/layer/${name}`,
    files,
    ignores: [...TESTS, ...(options.ignores ?? [])],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src',
              from,
              ...(options.except ? { except: options.except } : {}),
              message: `${name} may not import this: see the layers in ARCHITECTURE.md.`,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'coverage', 'bin'] },
  js.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    name: 'quanta/promises',
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    name: 'quanta/no-cycles',
    files: ['src/**/*.ts', 'src/**/*.mjs'],
    plugins: { 'import-x': importX },
    // The plugin reads each imported module to follow its imports: it must parse TypeScript.
    settings: {
      'import-x/extensions': ['.ts', '.mts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    name: 'quanta/engines-in-storage',
    files: ['src/**/*.ts', 'src/**/*.mjs'],
    ignores: ['src/storage/**', ...TESTS],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['better-sqlite3', '@duckdb/node-api', 'pg', 'nats', 'clickhouse'].map((name) => ({
            name,
            message: 'Only src/storage/ talks to an engine: declare a port in your capability and an adapter in storage/.',
          })),
        },
      ],
    },
  },
  layer('kernel', ['src/kernel/**'], [...rootFiles, ...dirs('model', 'config', ...DOMAINS, 'pipeline', 'storage', 'server', 'runtime', 'cli')]),
  layer('model', ['src/model/**'], [...rootFiles, ...dirs('config', ...DOMAINS, 'pipeline', 'storage', 'server', 'runtime', 'cli')]),
  layer('config', ['src/config/**'], [...rootFiles, ...dirs(...DOMAINS, 'pipeline', 'storage', 'server', 'runtime', 'cli')]),
  layer('a domain', DOMAINS.map((d) => `src/${d}/**`), [...rootFiles, ...edgeFiles, ...dirs('pipeline', 'storage', 'server', 'runtime', 'cli')], { ignores: EDGE }),
  layer('the pipeline', ['src/pipeline/**'], [...rootFiles, ...edgeFiles, ...dirs('storage', 'server', 'runtime', 'cli')], { ignores: EDGE }),
  layer('storage', ['src/storage/**'], [...rootFiles, ...edgeFiles, ...dirs('server', 'cli'), './src/runtime/!(capability|storage).ts']),
  layer('the server', ['src/server/**'], [...rootFiles, ...edgeFiles, ...dirs('storage', 'runtime', 'cli')], { ignores: EDGE }),
  layer('the runtime', ['src/runtime/**'], [...rootFiles, ...edgeFiles, ...dirs('storage', 'cli')]),
  layer('an edge file', EDGE, [...rootFiles, ...dirs('storage', 'cli'), './src/runtime/!(capability|storage).ts']),
  // A command is given its stores (the roots pick the engines); it may read storage's own types.
  layer('a command', ['src/cli/**'], [...rootFiles, ...edgeFiles, ...dirs('storage/sqlite', 'storage/duckdb'), './src/storage/engines.*']),
);
