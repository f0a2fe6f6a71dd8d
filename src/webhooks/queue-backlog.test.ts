import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueBacklog } from './queue-backlog.ts';

const none = new Set<string>();

describe('what a worker knows of the queue', () => {
  it('allows no direct dispatch before its first claim, nor after a claim that stopped at its limit', () => {
    const backlog = new QueueBacklog();
    assert.equal(backlog.mayDispatch('a'), false, 'at start anything may be waiting');
    backlog.claimed(none, none, false);
    assert.equal(backlog.mayDispatch('a'), true);
    backlog.claimed(none, none, true);
    assert.equal(backlog.mayDispatch('a'), false);
    assert.equal(backlog.mayDispatch('b'), false);
  });

  it('sends an endpoint’s new deliveries through the queue while older ones wait there', () => {
    const backlog = new QueueBacklog();
    backlog.claimed(none, none, false);
    backlog.queued(new Set(['a']));
    assert.equal(backlog.mayDispatch('a'), false);
    assert.equal(backlog.mayDispatch('b'), true, 'other endpoints are not held back');
    // A claim that skipped `a` (full) tells nothing about it.
    backlog.claimed(new Set(['a']), none, false);
    assert.equal(backlog.mayDispatch('a'), false);
    // One that left some of `a` behind for lack of room neither.
    backlog.claimed(none, new Set(['a']), false);
    assert.equal(backlog.mayDispatch('a'), false);
    // One that saw all of `a`'s due deliveries and took them: nothing of `a` waits any more.
    backlog.claimed(none, none, false);
    assert.equal(backlog.mayDispatch('a'), true);
  });

  it('claims again only when an endpoint that may have due deliveries has room, or work is announced', () => {
    const backlog = new QueueBacklog();
    const full = new Set(['a']);
    assert.equal(backlog.worthClaiming(full), true, 'nothing known yet');
    // Took what `b` had room for and left the rest of `b`; `a` was skipped.
    backlog.claimed(full, new Set(['b']), false);
    assert.equal(backlog.worthClaiming(new Set(['a', 'b'])), false, 'both full now');
    assert.equal(backlog.worthClaiming(new Set(['a', 'b', 'c'])), false);
    assert.equal(backlog.worthClaiming(full), true, '`b` has room again');
    assert.equal(backlog.worthClaiming(new Set(['b'])), true, '`a` has room again');
    backlog.queued(new Set(['a']));
    assert.equal(backlog.worthClaiming(new Set(['a', 'b'])), false, 'more for a full endpoint');
    backlog.queued(new Set(['c']));
    assert.equal(backlog.worthClaiming(new Set(['a', 'b'])), true, 'queued for one with room');
    backlog.claimed(none, none, false);
    assert.equal(backlog.worthClaiming(none), false, 'it saw every due delivery and took them all');
    backlog.announce();
    assert.equal(backlog.worthClaiming(none), true, 'a replay, a retry coming due');
    backlog.claimed(none, none, true);
    assert.equal(
      backlog.worthClaiming(new Set(['a', 'b', 'c'])),
      true,
      'it took a whole window: more may be due',
    );
    // A window spent on `a`, which is now full: reading past `a`'s backlog waits for news of others.
    backlog.claimed(none, new Set(['a']), true);
    assert.equal(backlog.worthClaiming(full), false);
    assert.equal(backlog.worthClaiming(none), true, '`a` has room again');
    backlog.queued(new Set(['c']));
    assert.equal(backlog.worthClaiming(full), true, 'queued for another');
  });

  it('learns nothing from a claim about what was queued or announced while it ran', () => {
    const backlog = new QueueBacklog();
    backlog.claimed(none, none, false);
    backlog.claiming();
    backlog.queued(new Set(['a'])); // committed after the claim's read
    backlog.claimed(none, none, false);
    assert.equal(backlog.mayDispatch('a'), false, 'a delivery of `a` may wait in the queue');
    assert.equal(backlog.worthClaiming(none), true, 'the next claim is worth it');
    backlog.claiming();
    backlog.announce(); // a retry came due, or a replay, after the claim's read
    backlog.claimed(none, none, false);
    assert.equal(backlog.worthClaiming(none), true, 'anything may be due');
  });
});
