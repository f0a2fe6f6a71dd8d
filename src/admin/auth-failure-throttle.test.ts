import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { AuthFailureThrottle } from './auth-failure-throttle.ts';

const throttles: AuthFailureThrottle[] = [];
const throttle = (options: ConstructorParameters<typeof AuthFailureThrottle>[0] = {}) => {
  const created = new AuthFailureThrottle(options);
  throttles.push(created);
  return created;
};
after(() => {
  for (const created of throttles) created.close();
});

it('refuses a client after its burst of failures, and says when to retry', () => {
  const limiter = throttle({ burst: 3, failuresPerMinute: 6 });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(limiter.check('198.51.100.1', 1000), { allowed: true });
    limiter.failed('198.51.100.1', 1000);
  }
  const refused = limiter.check('198.51.100.1', 1000);
  assert.equal(refused.allowed, false);
  assert.equal(refused.allowed === false && refused.retryAfterMs, 10_000);
  assert.equal(limiter.check('198.51.100.1', 11_000).allowed, true, 'one failure back after 10 s');
});

it('checking uses nothing up: any number of requests with a valid credential pass, at once too', () => {
  const limiter = throttle({ burst: 2 });
  const decisions = Array.from({ length: 100 }, () => limiter.check('198.51.100.2', 1000));
  assert.ok(decisions.every((decision) => decision.allowed));
  assert.equal(limiter.size, 0, 'a client without failures is not even remembered');
});

it("one client's failures never touch another client's allowance", () => {
  const limiter = throttle({ burst: 2 });
  for (let i = 0; i < 50; i++) limiter.failed('198.51.100.3', 1000);
  assert.equal(limiter.check('198.51.100.3', 1000).allowed, false);
  assert.equal(limiter.check('198.51.100.4', 1000).allowed, true);
});

it('remembers a bounded number of clients and forgets those whose allowance is whole again', () => {
  const limiter = throttle({ burst: 1, failuresPerMinute: 60, maxClients: 10 });
  for (let i = 0; i < 25; i++) limiter.failed(`10.0.0.${i}`, 1000);
  assert.equal(limiter.size, 10);
  limiter.sweep(1500);
  assert.equal(limiter.size, 10);
  limiter.sweep(2000);
  assert.equal(limiter.size, 0);
});
