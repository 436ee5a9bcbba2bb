import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/util/manual-clock.js';
import type { Message } from '../../src/raft/types.js';
import { ANY_NODE, MemoryNetwork } from '../../src/transport/index.js';
import { seeded } from '../fixtures/state.js';

function msg(from: string, to: string, term: number, data?: Uint8Array): Message {
  return data === undefined
    ? { type: 'heartbeat', from, to, term }
    : { type: 'append', from, to, term, index: 0, logTerm: 0, commit: 0, entries: [{ index: 1, term, kind: 0, data }] };
}

/** A network of `ids` where each node records the terms of what it received. */
function setup(ids: string[], seed = 1) {
  const clock = new ManualClock();
  const net = new MemoryNetwork({ clock, random: seeded(seed) });
  const inbox = new Map<string, Message[]>();
  const transports = new Map(
    ids.map((id) => {
      const t = net.connect(id);
      inbox.set(id, []);
      t.onMessage((m) => inbox.get(id)!.push(m));
      return [id, t] as const;
    }),
  );
  const terms = (id: string) => inbox.get(id)!.map((m) => m.term);
  return { clock, net, inbox, transports, terms, t: (id: string) => transports.get(id)! };
}

const seq = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('MemoryNetwork', () => {
  test('delivers asynchronously, in order, never inside send', async () => {
    const { clock, t, terms } = setup(['a', 'b']);
    t('a').send(seq(5).map((i) => msg('a', 'b', i)));
    assert.deepEqual(terms('b'), [], 'nothing may arrive before send returns');
    await clock.advance(0);
    assert.deepEqual(terms('b'), [1, 2, 3, 4, 5]);
  });

  test('endpoints that keep answering each other do not starve timers', async () => {
    const net = new MemoryNetwork();
    const a = net.connect('a');
    const b = net.connect('b');
    let exchanges = 0;
    let fired = false;
    a.onMessage(() => {
      if (!fired && ++exchanges < 1_000_000) a.send([msg('a', 'b', 1)]);
    });
    b.onMessage(() => b.send([msg('b', 'a', 1)]));
    a.send([msg('a', 'b', 1)]);
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        fired = true;
        resolve();
      }, 1),
    );
    assert.ok(exchanges > 0);
    assert.ok(exchanges < 1_000_000, 'the timer only ran once the exchange gave up');
  });

  test('every receiver gets a private copy of the message and its bytes', async () => {
    const { clock, t, inbox } = setup(['a', 'b', 'c']);
    const data = Uint8Array.of(1, 2, 3);
    const original = msg('a', 'b', 1, data);
    t('a').send([original, { ...original, to: 'c' }]);
    data[0] = 99; // the sender reusing its buffer must not reach the receivers
    await clock.advance(0);
    const atB = inbox.get('b')![0]!;
    const atC = inbox.get('c')![0]!;
    assert.notEqual(atB, original);
    assert.deepEqual(atB.entries![0]!.data, Uint8Array.of(1, 2, 3));
    assert.notEqual(atB.entries![0]!.data.buffer, atC.entries![0]!.data.buffer);
    assert.notEqual(atB.entries, original.entries);
  });

  test('drop: probability 1 loses everything, a fraction loses some; counted in stats', async () => {
    const { clock, net, t, terms } = setup(['a', 'b', 'c']);
    net.setLink('a', 'b', { drop: 1 });
    net.setLink('a', 'c', { drop: 0.5 });
    t('a').send(seq(200).flatMap((i) => [msg('a', 'b', i), msg('a', 'c', i)]));
    t('b').send([msg('b', 'a', 1)]); // the reverse direction is a different link
    await clock.advance(0);
    assert.deepEqual(terms('b'), []);
    assert.deepEqual(terms('a'), [1]);
    const atC = terms('c').length;
    assert.ok(atC > 0 && atC < 200, `some but not all of 200 arrive over a 50% link (got ${atC})`);
    assert.deepEqual(net.stats(), { sent: 401, delivered: 1 + atC, dropped: 200 + (200 - atC), duplicated: 0 });
  });

  test('delay: delivery waits for the clock, within [min, max]', async () => {
    const { clock, net, t, terms } = setup(['a', 'b', 'c']);
    net.setLink('a', 'b', { delayMs: [100, 100] });
    net.setLink('a', 'c', { delayMs: [10, 50] });
    t('a').send([msg('a', 'b', 1), ...seq(20).map((i) => msg('a', 'c', i))]);
    await clock.advance(9);
    assert.deepEqual(terms('c'), []);
    await clock.advance(41); // t = 50
    assert.deepEqual(
      [...terms('c')].sort((x, y) => x - y),
      seq(20),
    );
    await clock.advance(49); // t = 99
    assert.deepEqual(terms('b'), []);
    await clock.advance(1);
    assert.deepEqual(terms('b'), [1]);
  });

  test('duplicate: probability 1 delivers every message twice, as distinct objects', async () => {
    const { clock, net, t, inbox, terms } = setup(['a', 'b']);
    net.setLink('a', 'b', { duplicate: 1 });
    t('a').send([msg('a', 'b', 1, Uint8Array.of(7)), msg('a', 'b', 2)]);
    await clock.advance(0);
    assert.deepEqual(terms('b'), [1, 1, 2, 2]);
    const [first, second] = inbox.get('b')!;
    assert.notEqual(first, second);
    assert.notEqual(first!.entries![0]!.data, second!.entries![0]!.data);
    assert.equal(net.stats().duplicated, 2);
  });

  test('reorder: a reordering link permutes messages; a plain link keeps order', async () => {
    const { clock, net, t, terms } = setup(['a', 'b', 'c']);
    net.setLink('a', 'b', { reorder: true });
    t('a').send(seq(30).map((i) => msg('a', 'b', i)));
    t('a').send(seq(30).map((i) => msg('a', 'c', i)));
    await clock.advance(0);
    assert.notDeepEqual(terms('b'), seq(30));
    assert.deepEqual(
      [...terms('b')].sort((x, y) => x - y),
      seq(30),
      'nothing lost or invented',
    );
    assert.deepEqual(terms('c'), seq(30));
  });

  test('partition cuts both directions between the groups only; heal restores', async () => {
    const { clock, net, t, terms } = setup(['a', 'b', 'c']);
    net.partition(['a', 'b'], ['c']);
    for (const from of ['a', 'b', 'c']) {
      t(from).send(['a', 'b', 'c'].filter((to) => to !== from).map((to) => msg(from, to, 1)));
    }
    await clock.advance(0);
    assert.deepEqual([terms('a'), terms('b'), terms('c')], [[1], [1], []]);
    net.heal();
    t('a').send([msg('a', 'c', 2)]);
    t('c').send([msg('c', 'a', 2)]);
    await clock.advance(0);
    assert.deepEqual([terms('a'), terms('c')], [[1, 2], [2]]);
  });

  test('isolate cuts a node off from everyone, including a late joiner', async () => {
    const { clock, net, t, terms } = setup(['a', 'b']);
    net.isolate('a');
    const late = net.connect('z');
    const atZ: Message[] = [];
    late.onMessage((m) => atZ.push(m));
    t('a').send([msg('a', 'b', 1), msg('a', 'z', 1)]);
    t('b').send([msg('b', 'a', 1), msg('b', 'z', 1)]);
    late.send([msg('z', 'a', 1)]);
    await clock.advance(0);
    assert.deepEqual([terms('a'), terms('b'), atZ.length], [[], [], 1]);
    net.heal();
    t('b').send([msg('b', 'a', 2)]);
    await clock.advance(0);
    assert.deepEqual(terms('a'), [2]);
  });

  test('a partition that starts while a message is in flight loses it', async () => {
    const { clock, net, t, terms } = setup(['a', 'b']);
    net.setLink('a', 'b', { delayMs: [20, 20] });
    t('a').send([msg('a', 'b', 1)]);
    await clock.advance(10);
    net.partition(['a'], ['b']);
    await clock.advance(20);
    net.heal();
    await clock.advance(20);
    assert.deepEqual(terms('b'), []);
  });

  test('links resolve exact, then from→*, then *→to, then *→*; null clears', async () => {
    const { clock, net, t, terms } = setup(['a', 'b', 'c']);
    net.setLink(ANY_NODE, ANY_NODE, { drop: 1 });
    net.setLink(ANY_NODE, 'b', { drop: 0 });
    net.setLink('a', ANY_NODE, { drop: 1 });
    net.setLink('a', 'b', null);
    t('a').send([msg('a', 'b', 1), msg('a', 'c', 1)]); // a→* wins over *→b
    t('c').send([msg('c', 'b', 1), msg('c', 'a', 1)]); // *→b passes, *→* drops
    await clock.advance(0);
    assert.deepEqual([terms('a'), terms('b'), terms('c')], [[], [1], []]);
    net.setLink('a', 'b', {});
    t('a').send([msg('a', 'b', 2)]);
    await clock.advance(0);
    assert.deepEqual(terms('b'), [1, 2]);
    net.clearLinks();
    t('c').send([msg('c', 'a', 3)]);
    await clock.advance(0);
    assert.deepEqual(terms('a'), [3]);
  });

  test('a closed endpoint neither sends nor receives; the id can reconnect, but not twice at once', async () => {
    const { clock, net, t, terms } = setup(['a', 'b']);
    t('a').send([msg('a', 'b', 1)]);
    await t('b').close();
    await clock.advance(0);
    assert.deepEqual(terms('b'), []);
    t('b').send([msg('b', 'a', 1)]);
    await clock.advance(0);
    assert.deepEqual(terms('a'), []);
    assert.throws(() => net.connect('a'), /already connected/);
    const reborn = net.connect('b');
    const got: number[] = [];
    reborn.onMessage((m) => got.push(m.term));
    t('a').send([msg('a', 'b', 2)]);
    await clock.advance(0);
    assert.deepEqual(got, [2]);
  });

  test('the same seed gives the same faults', async () => {
    async function run(seed: number): Promise<number[]> {
      const { clock, net, t, terms } = setup(['a', 'b'], seed);
      net.setLink('a', 'b', { drop: 0.3, duplicate: 0.3, reorder: true, delayMs: [0, 30] });
      t('a').send(seq(50).map((i) => msg('a', 'b', i)));
      await clock.advance(30);
      return terms('b');
    }
    assert.deepEqual(await run(42), await run(42));
    assert.notDeepEqual(await run(42), await run(43));
  });

  test('bad fault settings are refused', () => {
    const { net } = setup(['a']);
    assert.throws(() => net.setLink('a', 'b', { drop: 1.5 }), RangeError);
    assert.throws(() => net.setLink('a', 'b', { duplicate: -0.1 }), RangeError);
    assert.throws(() => net.setLink('a', 'b', { delayMs: [10, 5] }), RangeError);
    assert.throws(() => net.connect(ANY_NODE), /reserved/);
  });
});
