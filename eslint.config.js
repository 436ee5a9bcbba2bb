// ESLint flat config: type-checked typescript-eslint rules, the layer arrows of DESIGN.md and the determinism rule.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Files typed by tsconfig.json; everything else (plain JS) is linted without type information. */
const TYPED = ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts', 'scripts/**/*.ts', 'tsup.config.ts'];

/**
 * One `no-restricted-imports` block per folder and depth: a relative import that leaves `src/<folder>/` must
 * land on one of `allowed` (paths relative to src/, a trailing `/` meaning the whole folder). Depth matters
 * because the same target is `../x` from `src/raft/a.ts` and `../../x` from `src/raft/sub/a.ts`.
 */
function boundary(folder, allowed, rule) {
  const targets = allowed.map((a) => (a.endsWith('/') ? a.replaceAll('.', '\\.') : `${a.replaceAll('.', '\\.')}$`)).join('|');
  return [1, 2, 3].map((depth) => ({
    files: [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(?:\\.\\./){${depth}}${targets === '' ? '' : `(?!(?:${targets}))`}`,
              message: `${rule} (DESIGN.md, "Layers").`,
            },
          ],
        },
      ],
    },
  }));
}

/** Reading the time, drawing randomness or deferring work goes through the injected Clock (common brief, "Determinism"). */
const determinism = {
  files: ['src/**/*.ts'],
  ignores: ['src/util/clock.ts', 'src/util/manual-clock.ts', 'src/util/random.ts', 'src/util/process-hold.ts'],
  rules: {
    'no-restricted-globals': [
      'error',
      ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'clearTimeout', 'clearInterval', 'clearImmediate'].map((name) => ({
        name,
        message: 'Use the injected Clock (setTimeout, soon, nextTurn) so simulators order deferred work.',
      })),
    ],
    'no-restricted-properties': [
      'error',
      { object: 'Date', property: 'now', message: 'Read the time from the injected Clock.' },
      { object: 'Math', property: 'random', message: 'Take randomness from an injected source.' },
      { object: 'process', property: 'nextTick', message: 'Use clock.soon(fn).' },
      { object: 'globalThis', property: 'setTimeout', message: 'Use the injected Clock.' },
      { object: 'globalThis', property: 'setImmediate', message: 'Use clock.nextTurn(fn).' },
      { object: 'globalThis', property: 'queueMicrotask', message: 'Use clock.soon(fn).' },
    ],
    'no-restricted-syntax': [
      'error',
      { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Read the time from the injected Clock.' },
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'docs/**', 'coverage/**', 'node_modules/**', 'bench/.out/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: TYPED,
    extends: [tseslint.configs.recommendedTypeCheckedOnly],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // A `default` branch is a deliberate choice; what must not happen is a union member silently falling through.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // Handlers are typed to return promises, so an `async` body without `await` is the idiom, not a slip (10 style-only hits).
      '@typescript-eslint/require-await': 'off',
      // A rejection passes on what the awaited call threw, as it was: wrapping it would hide its type.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // TimerHandle is an opaque `unknown` on purpose; `TimerHandle | undefined` still says "maybe no timer" to a reader.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // tsc's noUnusedLocals/noUnusedParameters own this, and they count an import used only by a TSDoc {@link}.
      '@typescript-eslint/no-unused-vars': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', require: 'readonly', module: 'writable', URL: 'readonly' },
    },
  },
  ...boundary('util', [], 'util/ imports nothing of the project'),
  ...boundary('raft', ['util/'], 'raft/ imports nothing but util/'),
  ...boundary('storage', ['raft/index.js', 'raft/types.js', 'util/'], 'storage/ imports only the raft/ contracts and util/'),
  ...boundary('transport', ['raft/index.js', 'raft/types.js', 'util/'], 'transport/ imports only the raft/ contracts and util/'),
  ...boundary(
    'scheduler',
    ['raft/index.js', 'storage/index.js', 'transport/index.js', 'util/'],
    'scheduler/ imports only raft/index.js, storage/index.js, transport/index.js and util/',
  ),
  determinism,
);
