import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const child = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/keep-alive-child.ts');

async function run(keepAlive: 'true' | 'false' | 'default'): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, String(keepAlive)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
  return { code, out };
}

test(
  'keepAlive: a worker script lives until close() by default; with keepAlive false it never holds the process',
  { timeout: 60_000 },
  async () => {
    const [kept, byDefault, plain] = await Promise.all([run('true'), run('default'), run('false')]);
    assert.deepEqual(kept, { code: 0, out: 'ran\n' });
    assert.deepEqual(byDefault, { code: 0, out: 'ran\n' });
    assert.equal(plain.out, '', 'exited before the job was due');
  },
);
