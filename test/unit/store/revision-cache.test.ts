// The per-node cache of clients and users: it answers from memory only while the revision it read (at
// most revalidateMs ago) is the database's, reads the revision once for all lookups in flight, forgets a
// row loaded before a write of its own, and fails a lookup whose revision it cannot read.
import { describe, expect, it } from '@jest/globals';
import { RevisionCache } from '../../../src/store/revision-cache.js';

/** A revision source the test controls, counting its reads; `fail` makes the next reads throw. */
function source() {
  const state = { revision: 1, reads: 0, fail: false };
  const read = async () => {
    state.reads += 1;
    await Promise.resolve();
    if (state.fail) throw new Error('database unavailable');
    return state.revision;
  };
  return { state, read };
}

function clock() {
  const time = { now: 1_000 };
  return { time, now: () => time.now };
}

describe('the revision cache', () => {
  it('answers from memory while the revision is unchanged, and loads again once it changed', async () => {
    const { state, read } = source();
    const { time, now } = clock();
    const cache = new RevisionCache<string>(read, { revalidateMs: 1000, now });
    let loads = 0;
    const load = async () => `row ${++loads}`;
    expect(await cache.get('a', load)).toBe('row 1');
    expect(await cache.get('a', load)).toBe('row 1');
    time.now += 999;
    state.revision = 2; // another node changed the table: not yet seen within the window
    expect(await cache.get('a', load)).toBe('row 1');
    time.now += 1;
    expect(await cache.get('a', load)).toBe('row 2');
    expect(state.reads).toBe(2);
  });

  it('reads the revision once for 50 lookups in flight', async () => {
    const { state, read } = source();
    const cache = new RevisionCache<number>(read, { revalidateMs: 1000 });
    let loads = 0;
    const values = await Promise.all(Array.from({ length: 50 }, () => cache.get('a', async () => ++loads)));
    expect(state.reads).toBe(1);
    expect(new Set(values).size).toBe(loads);
    expect(await cache.get('a', async () => ++loads)).toBe(values.at(-1));
  });

  it('fails the lookup when the revision cannot be read, and recovers when it can', async () => {
    const { state, read } = source();
    const { time, now } = clock();
    const cache = new RevisionCache<string>(read, { revalidateMs: 1000, now });
    await cache.get('a', async () => 'cached');
    time.now += 1000;
    state.fail = true;
    await expect(cache.get('a', async () => 'fresh')).rejects.toThrow('database unavailable');
    state.fail = false;
    expect(await cache.get('a', async () => 'fresh')).toBe('cached');
  });

  it('forgets everything at once after a write of its own', async () => {
    const { state, read } = source();
    const cache = new RevisionCache<string>(read, { revalidateMs: 60_000 });
    await cache.get('a', async () => 'before');
    state.revision = 2;
    cache.invalidate();
    expect(await cache.get('a', async () => 'after')).toBe('after');
  });

  it('does not keep a row whose load began before a write of its own', async () => {
    const { read } = source();
    const cache = new RevisionCache<string>(read, { revalidateMs: 60_000 });
    let release!: () => void;
    const slow = cache.get('a', () => new Promise<string>((resolve) => (release = () => resolve('stale'))));
    await new Promise((resolve) => setImmediate(resolve));
    cache.invalidate(); // the write committed while the old row was being read
    release();
    expect(await slow).toBe('stale');
    expect(await cache.get('a', async () => 'fresh')).toBe('fresh');
  });

  it('reads the row every time when turned off', async () => {
    const { state, read } = source();
    const cache = new RevisionCache<number>(read, { revalidateMs: 0 });
    let loads = 0;
    await cache.get('a', async () => ++loads);
    expect(await cache.get('a', async () => ++loads)).toBe(2);
    expect(state.reads).toBe(0);
  });

  it('keeps at most maxEntries rows, dropping the oldest', async () => {
    const { read } = source();
    const cache = new RevisionCache<string>(read, { revalidateMs: 60_000, maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) await cache.get(key, async () => `${key}1`);
    expect(await cache.get('c', async () => 'c2')).toBe('c1');
    expect(await cache.get('a', async () => 'a2')).toBe('a2');
  });
});
