import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLevel } from 'memory-level';
import { ClassicLevel } from 'classic-level';
import type { Entry, RaftStorage } from '../../src/raft/types.js';
import { createLevelStorage, openDiskStorage, openMemoryStorage } from '../../src/storage/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
function entry(index: number, term: number, text = `e${index}t${term}`): Entry {
  return { index, term, kind: 0, data: enc.encode(text) };
}
function range(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scheduled-db-storage-'));
  dirs.push(dir);
  return dir;
}

interface Backend {
  readonly name: string;
  /** A fresh store. */
  open(): Promise<{ storage: RaftStorage; reopen?: () => Promise<RaftStorage> }>;
}

const backends: Backend[] = [
  {
    name: 'openMemoryStorage (memory-level)',
    async open() {
      return { storage: await openMemoryStorage() };
    },
  },
  {
    name: 'memory-level',
    async open() {
      return { storage: createLevelStorage(new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })) };
    },
  },
  {
    name: 'classic-level',
    async open() {
      const dir = await tempDir();
      return { storage: await openDiskStorage(dir), reopen: () => openDiskStorage(dir) };
    },
  },
];

for (const backend of backends) {
  describe(`storage over ${backend.name}`, () => {
    test('an empty store loads default hard state and no entries', async () => {
      const { storage } = await backend.open();
      assert.deepEqual(await storage.load(), { hardState: { term: 0, vote: null, commit: 0 }, entries: [] });
      await storage.close();
    });

    test('saves hard state and entries; load returns them in index order', async () => {
      const { storage } = await backend.open();
      await storage.load();
      await storage.save({ term: 1, vote: 'a', commit: 0 }, range(1, 3, 1));
      await storage.save(undefined, range(4, 300, 1));
      await storage.save({ term: 2, vote: null, commit: 250 }, []);
      const loaded = await storage.load();
      assert.deepEqual(loaded.hardState, { term: 2, vote: null, commit: 250 });
      assert.deepEqual(loaded.entries, range(1, 300, 1));
      await storage.close();
    });

    test('entries that overwrite the tail delete the stale suffix', async () => {
      const { storage } = await backend.open();
      await storage.load();
      await storage.save({ term: 1, vote: 'a', commit: 1 }, range(1, 6, 1));
      await storage.save({ term: 2, vote: 'b', commit: 1 }, [entry(3, 2), entry(4, 2)]);
      assert.deepEqual((await storage.load()).entries, [...range(1, 2, 1), entry(3, 2), entry(4, 2)]);
      // Extending again after the truncation must not resurrect the deleted suffix.
      await storage.save(undefined, [entry(5, 2)]);
      assert.deepEqual((await storage.load()).entries, [...range(1, 2, 1), ...range(3, 5, 2)]);
      await storage.close();
    });

    test('a rewrite across several saved batches keeps the live prefix of the batch it cuts', async () => {
      const { storage } = await backend.open();
      await storage.load();
      for (const [from, to] of [
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 7],
      ] as const)
        await storage.save(undefined, range(from, to, 1));
      await storage.save(undefined, [entry(4, 2)]); // cuts [3, 4] in the middle, drops [5, 6] and [7]
      assert.deepEqual((await storage.load()).entries, [...range(1, 3, 1), entry(4, 2)]);
      await storage.save(undefined, [entry(3, 3), entry(4, 3)]); // starts exactly at a batch boundary
      assert.deepEqual((await storage.load()).entries, [...range(1, 2, 1), ...range(3, 4, 3)]);
      await storage.save(undefined, [entry(1, 4)]); // rewrites everything
      assert.deepEqual((await storage.load()).entries, [entry(1, 4)]);
      await storage.close();
    });

    test('a save that would leave a gap is refused and stores nothing', async () => {
      const { storage } = await backend.open();
      await storage.load();
      await storage.save(undefined, range(1, 2, 1));
      await assert.rejects(storage.save({ term: 9, vote: null, commit: 0 }, [entry(4, 1)]), RangeError);
      await assert.rejects(storage.save(undefined, [entry(3, 1), entry(5, 1)]), RangeError);
      assert.deepEqual(await storage.load(), { hardState: { term: 0, vote: null, commit: 0 }, entries: range(1, 2, 1) });
      await storage.close();
    });

    test('thousands of entries over many saves, with rewrites that cut a block in the middle', async () => {
      const { storage } = await backend.open();
      await storage.load();
      // Entries of one save share a buffer, as a node's batches do; sizes vary, no-ops included.
      const batch = (from: number, to: number, term: number): Entry[] => {
        const texts = Array.from({ length: to - from + 1 }, (_, i) => (i % 9 === 0 ? '' : `e${from + i}t${term}${'.'.repeat(i % 30)}`));
        const shared = enc.encode(texts.join(''));
        let pos = 0;
        return texts.map((t, i) => {
          const len = enc.encode(t).length;
          const data = shared.subarray(pos, pos + len);
          pos += len;
          return { index: from + i, term, kind: 0, data };
        });
      };
      const expected: Entry[] = [];
      for (let from = 1; from <= 9000; from += 500) {
        const b = batch(from, from + 499, 1);
        await storage.save(undefined, b);
        expected.push(...b);
      }
      const rewrite = batch(4500, 4600, 2);
      await storage.save({ term: 2, vote: 'n2', commit: 4000 }, rewrite);
      expected.length = 4499;
      expected.push(...rewrite);
      const loaded = await storage.load();
      assert.equal(loaded.entries.length, 4600);
      for (let i = 0; i < expected.length; i++) {
        const [a, b] = [loaded.entries[i]!, expected[i]!];
        assert.equal(a.index, b.index);
        assert.equal(a.term, b.term);
        assert.equal(dec.decode(a.data), dec.decode(b.data), `entry ${b.index}`);
      }
      await storage.close();
    });

    if (backend.name === 'classic-level') {
      test('close and reopen gives back the same data, and truncation still works without a load', async () => {
        const { storage, reopen } = await backend.open();
        await storage.save({ term: 3, vote: 'c', commit: 4 }, range(1, 5, 3));
        await storage.close();
        const again = await reopen!();
        assert.deepEqual(await again.load(), { hardState: { term: 3, vote: 'c', commit: 4 }, entries: range(1, 5, 3) });
        await again.close();
        const third = await reopen!();
        // No load first: the storage must find the stored tail itself.
        await third.save(undefined, [entry(2, 4)]);
        await third.close();
        const fourth = await reopen!();
        assert.deepEqual((await fourth.load()).entries, [entry(1, 3), entry(2, 4)]);
        await fourth.close();
      });
    }
  });
}

describe('createLevelStorage', () => {
  test('works over a database with other default encodings and can leave it open', async () => {
    const db = new MemoryLevel<string, string>();
    const storage = createLevelStorage(db, { closeDatabase: false });
    await storage.save({ term: 1, vote: 'x', commit: 1 }, range(1, 2, 1));
    assert.deepEqual(await storage.load(), { hardState: { term: 1, vote: 'x', commit: 1 }, entries: range(1, 2, 1) });
    await storage.close();
    assert.equal(db.status, 'open');
    await db.close();
  });

  test('a rewritten tail leaves no stale entry in the store', async () => {
    const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
    const storage = createLevelStorage(db, { closeDatabase: false });
    await storage.save({ term: 1, vote: null, commit: 0 }, range(1, 4, 1));
    await storage.save(undefined, range(5, 8, 1));
    await storage.save(undefined, [entry(3, 2)]);
    const stored: string[] = [];
    for await (const value of db.values()) stored.push(dec.decode(value));
    const all = stored.join('|');
    for (const stale of ['e4t1', 'e5t1', 'e8t1']) assert.ok(!all.includes(stale), `${stale} still stored`);
    assert.ok(all.includes('e3t2') && all.includes('e2t1'));
    await db.close();
  });

  test('passes sync to the store so disk writes are fsync`d', async () => {
    const dir = await tempDir();
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    const seen: unknown[] = [];
    const original = db.batch.bind(db);
    // Spy on the batch options rather than trusting the default.
    (db as unknown as { batch: (...args: unknown[]) => unknown }).batch = (...args: unknown[]) => {
      seen.push((args[1] as { sync?: boolean } | undefined)?.sync);
      return (original as (...a: unknown[]) => unknown)(...args);
    };
    const storage = createLevelStorage(db, { sync: true });
    await storage.save({ term: 1, vote: null, commit: 0 }, []);
    await storage.close();
    assert.deepEqual(seen, [true]);
  });
});
