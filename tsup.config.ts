import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', raft: 'src/raft-entry.ts', testing: 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // One copy of each class across the entries (index, raft, testing), so instanceof holds across them.
  splitting: true,
});
