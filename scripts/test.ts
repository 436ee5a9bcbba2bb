/**
 * Runs one group of test files in a single node:test run, so the runner's closing lines count every
 * file of the group: `unit` (all but the simulators), `sim` (the simulators' tests, under test/testing/,
 * mirroring src/testing/) or `all`. Arguments after the group go to node:test.
 *
 *   node --import tsx scripts/test.ts unit --test-name-pattern=cron
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const GROUPS = ['unit', 'sim', 'all'] as const;
type Group = (typeof GROUPS)[number];

/** Simulator tests: long, seed-driven runs of whole clusters. */
function isSimulation(file: string): boolean {
  return file.startsWith('test/testing/');
}

function testFiles(group: Group): string[] {
  const files = readdirSync('test', { recursive: true, encoding: 'utf8' })
    .map((f) => join('test', f).replaceAll('\\', '/'))
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
  if (group === 'all') return files;
  return files.filter((f) => isSimulation(f) === (group === 'sim'));
}

const [group, ...runnerArgs] = process.argv.slice(2);
if (!GROUPS.includes(group as Group)) {
  console.error(`usage: scripts/test.ts <${GROUPS.join('|')}> [node:test options]`);
  process.exit(2);
}
const files = testFiles(group as Group);
if (files.length === 0) {
  console.error(`no ${group} test files found`);
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=300000', ...runnerArgs, ...files], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
