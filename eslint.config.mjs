import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * The arrows of shared/ARCHITECTURE.md: the @flotilla libraries each library may import. A
 * library missing here is an error until its arrows are written down.
 */
const LIBRARY_ARROWS = {
  api: [],
  raft: [],
  // Time, files and weak references behind interfaces (a simulation injects virtual ones).
  io: [],
  store: ['io'],
  observability: [],
  process: ['observability'],
  'raft-node': ['raft', 'io'],
  'replicated-store': ['raft', 'raft-node', 'store', 'io'],
  'etcd-api': ['store'],
  // pki: only its client-identity entry point (who a client certificate names).
  apiserver: ['api', 'store', 'observability', 'pki'],
  client: ['api'],
  // Certificates and keys (X.509 through @peculiar/x509 on WebCrypto): no other library.
  pki: [],
  // Test wiring: an API server with clients over it (only tests and benchmarks import it).
  testing: ['api', 'apiserver', 'client'],
};
/** Components reach the cluster through @flotilla/client only. */
const COMPONENTS = ['scheduler', 'controllers', 'kubelet', 'kube-proxy', 'node-network'];
const COMPONENT_ARROWS = ['api', 'client', 'observability', 'process'];
/** Components that build on another component's pure parts (addresses, the command runner). */
const COMPONENT_EXTRA = { 'node-network': ['kube-proxy'], kubelet: ['pki'] };
/** What only the master process (apps/control-plane) may import. */
const MASTER_ONLY = ['store', 'raft', 'raft-node', 'replicated-store', 'apiserver'];
/** Second entry points kept out of an index on purpose: Nest wiring, so plain Node need not load Nest. */
const ENTRY_POINTS = new Set([
  '@flotilla/observability/nest',
  '@flotilla/process/nest',
  '@flotilla/etcd-api/etcd-api.module',
  // Who a client certificate names, without the X.509 builder (servers that only read certificates).
  '@flotilla/pki/client-identity',
]);
/** Files outside every part that parts may read: the version lives in package.json. */
const SHARED_FILES = new Set([resolve(ROOT, 'package.json')]);

/** libs/<x>, apps/<x>, or a tool folder (test/, bench/: they drive internals on purpose). */
function partOf(file) {
  const [top, name] = relative(ROOT, file).split(sep);
  if ((top === 'libs' || top === 'apps') && name)
    return { kind: top, name, root: resolve(ROOT, top, name) };
  return { kind: 'tool', name: top };
}

const isTestFile = (file) => /\.spec\.ts$/.test(file) || file.split(sep).includes('test');

const layering = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the arrows of shared/ARCHITECTURE.md' },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const part = partOf(file);
    if (part.kind === 'tool') return {};
    const test = isTestFile(file);
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      const report = (message) => context.report({ node, message });
      if (source.startsWith('@flotilla/')) {
        const [, name, ...sub] = source.split('/');
        // A library's own test fixtures (its testing/ folder) are open to other parts' tests.
        const fixtures = test && sub[0] === 'testing';
        if (sub.length > 0 && !ENTRY_POINTS.has(source) && !fixtures)
          return report(`import '@flotilla/${name}', not its internals ('${source}')`);
        if (name === 'testing' && !test)
          return report('@flotilla/testing is for tests and benchmarks only');
        if (part.kind === 'libs' && name !== part.name) {
          const arrows =
            LIBRARY_ARROWS[part.name] ??
            (COMPONENTS.includes(part.name)
              ? [...COMPONENT_ARROWS, ...(COMPONENT_EXTRA[part.name] ?? [])]
              : undefined);
          if (!arrows)
            return report(
              `libs/${part.name} has no arrows yet: add them to LIBRARY_ARROWS in eslint.config.mjs`,
            );
          if (!arrows.includes(name) && !(test && name === 'testing'))
            return report(
              `libs/${part.name} may import only ${arrows.map((a) => `@flotilla/${a}`).join(', ') || 'no @flotilla library'} (not @flotilla/${name})`,
            );
        }
        if (part.kind === 'apps' && part.name !== 'control-plane' && MASTER_ONLY.includes(name))
          return report(
            `only apps/control-plane may import @flotilla/${name}; use @flotilla/client`,
          );
        return;
      }
      if (source.startsWith('.')) {
        const target = resolve(dirname(file), source);
        if (target === part.root || target.startsWith(part.root + sep)) return;
        if (SHARED_FILES.has(target) || SHARED_FILES.has(`${target}.json`)) return;
        const other = partOf(target);
        const instead = other.kind === 'libs' ? `; import '@flotilla/${other.name}'` : '';
        return report(`'${source}' reaches outside ${part.kind}/${part.name}${instead}`);
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', '.deploy-cache/', '*.js', '*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  // Build scripts run by plain Node.
  {
    files: ['deploy/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    languageOptions: { parserOptions: { projectService: false } },
    plugins: { flotilla: { rules: { layering } } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'flotilla/layering': 'error',
    },
  },
  {
    // The Raft driver is generic over its state machine: the store and its glue sit above it.
    files: ['libs/raft-node/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@flotilla/store', '@flotilla/store/*', '@flotilla/replicated-store', '@flotilla/replicated-store/*'],
              message: 'libs/raft-node knows no store: the glue lives in libs/replicated-store.',
            },
          ],
        },
      ],
    },
  },
);
