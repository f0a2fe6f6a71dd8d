import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from './group-commit.ts';

describe('group commit', () => {
  it('commits items submitted together in one batch, and later ones in the next', async () => {
    const batches: number[][] = [];
    const commits = new GroupCommit<number, string>(async (items) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return items.map((item) => `ok ${item}`);
    });
    const first = [1, 2, 3].map((n) => commits.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    const second = [4, 5].map((n) => commits.submit(n));
    assert.deepEqual(await Promise.all([...first, ...second]), ['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
    assert.deepEqual(batches, [
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('when a batch fails, each item is retried alone so only the bad one fails', async () => {
    const commits = new GroupCommit<number, number>(async (items) => {
      if (items.includes(13)) throw new Error('unlucky');
      return items;
    });
    const results = await Promise.allSettled([1, 13, 2].map((n) => commits.submit(n)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });

  it('flush waits until everything submitted is committed', async () => {
    let committed = 0;
    const commits = new GroupCommit<number, void>(async (items) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      committed += items.length;
      return items.map(() => undefined);
    });
    for (let i = 0; i < 10; i++) void commits.submit(i);
    await commits.flush();
    assert.equal(committed, 10);
    assert.equal(commits.pending, 0);
  });
});
