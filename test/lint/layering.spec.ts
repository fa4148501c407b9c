// The layering rule of `npm run lint` (eslint.config.mjs, flotilla/layering): what it lets through
// and what it stops, linted as if each snippet were a file at the given path. ESLint loads its ESM
// config itself, so it runs in a child process.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

const cases: { file: string; source: string; expect: RegExp | 'ok' }[] = [
  { file: 'libs/client/src/x.ts', source: '@flotilla/api', expect: 'ok' },
  {
    file: 'libs/client/src/x.ts',
    source: '@flotilla/apiserver',
    expect: /libs\/client may import only @flotilla\/api \(not @flotilla\/apiserver\)/,
  },
  {
    file: 'libs/client/src/x.ts',
    source: '@flotilla/api/src/status',
    expect: /import '@flotilla\/api', not its internals/,
  },
  {
    file: 'libs/client/src/rest/x.ts',
    source: '../../../api/src/status',
    expect: /reaches outside libs\/client; import '@flotilla\/api'/,
  },
  { file: 'libs/client/src/rest/x.ts', source: '../transport/errors', expect: 'ok' },
  { file: 'libs/client/src/transport/x.ts', source: '../../../../package.json', expect: 'ok' },
  {
    file: 'libs/client/src/x.ts',
    source: '@flotilla/testing',
    expect: /@flotilla\/testing is for tests and benchmarks only/,
  },
  { file: 'libs/client/test/x.spec.ts', source: '@flotilla/testing', expect: 'ok' },
  {
    file: 'libs/controllers/src/x.ts',
    source: '@flotilla/store',
    expect: /libs\/controllers may import only @flotilla\/api, @flotilla\/client/,
  },
  { file: 'libs/kubelet/src/x.ts', source: '@flotilla/client', expect: 'ok' },
  {
    file: 'libs/newthing/src/x.ts',
    source: '@flotilla/api',
    expect: /libs\/newthing has no arrows yet/,
  },
  {
    file: 'apps/node-agent/src/x.ts',
    source: '@flotilla/raft-node',
    expect: /only apps\/control-plane may import @flotilla\/raft-node/,
  },
  { file: 'apps/control-plane/src/x.ts', source: '@flotilla/store', expect: 'ok' },
  { file: 'apps/control-plane/src/x.ts', source: '@flotilla/process/nest', expect: 'ok' },
  {
    file: 'test/integration/x.spec.ts',
    source: '../../libs/raft/src/testing/cluster',
    expect: 'ok',
  },
];

const script = `
const { ESLint } = require('eslint');
const cases = JSON.parse(process.argv[1]);
(async () => {
  const eslint = new ESLint({ cwd: ${JSON.stringify(ROOT)} });
  const out = [];
  for (const c of cases) {
    const [result] = await eslint.lintText(
      "import * as m from '" + c.source + "';\\nexport const used = m;\\n",
      { filePath: require('path').join(${JSON.stringify(ROOT)}, c.file) },
    );
    out.push(result.messages.filter((m) => m.ruleId === 'flotilla/layering').map((m) => m.message));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('the layering lint rule', () => {
  it('holds the arrows of ARCHITECTURE.md', () => {
    const out = execFileSync(process.execPath, ['-e', script, JSON.stringify(cases)], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const messages = JSON.parse(out) as string[][];
    cases.forEach((c, i) => {
      const got = messages[i];
      if (c.expect === 'ok') expect({ ...c, got }).toEqual({ ...c, got: [] });
      else
        expect({ ...c, got: got.join(' | ') }).toEqual({
          ...c,
          got: expect.stringMatching(c.expect),
        });
    });
  });
});
