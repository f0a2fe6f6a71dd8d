import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InFlightCounter, type InFlightLease, InFlightLimits } from './in-flight-limit.ts';

describe('in-flight limits', () => {
  it('admits up to the cap per credential, refuses the next, and admits again once one ends', () => {
    const limits = new InFlightLimits({ perCredential: 2, perIp: null });
    const first = limits.admit('cred_a', '192.0.2.1');
    const second = limits.admit('cred_a', '192.0.2.2');
    assert.equal(typeof first, 'object');
    assert.equal(typeof second, 'object');
    assert.equal(limits.admit('cred_a', '192.0.2.3'), 'credential');
    assert.equal(typeof limits.admit('cred_b', '192.0.2.1'), 'object', 'another credential has its own cap');
    (first as InFlightLease).release();
    assert.equal(typeof limits.admit('cred_a', '192.0.2.3'), 'object');
  });

  it('caps a client address across credentials, and a refusal by address holds no credential slot', () => {
    const limits = new InFlightLimits({ perCredential: 5, perIp: 2 });
    limits.admit('cred_a', '192.0.2.1');
    limits.admit('cred_b', '192.0.2.1');
    assert.equal(limits.admit('cred_c', '192.0.2.1'), 'ip');
    assert.equal(limits.perCredential?.inFlight('cred_c'), 0);
    assert.equal(typeof limits.admit('cred_c', '192.0.2.9'), 'object');
  });

  it('gives the slots back exactly once, however many paths call release', () => {
    const limits = new InFlightLimits({ perCredential: 3, perIp: 3 });
    const lease = limits.admit('cred_a', '192.0.2.1') as InFlightLease;
    const other = limits.admit('cred_a', '192.0.2.1') as InFlightLease;
    // e.g. an upstream error followed by the client closing: two outcomes, one request
    lease.release();
    lease.release();
    assert.equal(limits.perCredential?.inFlight('cred_a'), 1);
    assert.equal(limits.perIp?.inFlight('192.0.2.1'), 1);
    other.release();
    assert.equal(limits.perCredential?.keys, 0);
    assert.equal(limits.perIp?.keys, 0);
  });

  it('with both caps off, admits everything', () => {
    const limits = new InFlightLimits({ perCredential: null, perIp: null });
    for (let i = 0; i < 1000; i++) assert.equal(typeof limits.admit('cred_a', '192.0.2.1'), 'object');
  });

  it('new caps (a reload) apply to the requests already in flight, counted even while a cap was off', () => {
    const limits = new InFlightLimits({ perCredential: null, perIp: null });
    const held = [
      limits.admit('cred_a', '192.0.2.1'),
      limits.admit('cred_a', '192.0.2.1'),
    ] as InFlightLease[];
    limits.setCaps({ perCredential: 2, perIp: null });
    assert.equal(limits.admit('cred_a', '192.0.2.1'), 'credential');
    for (const lease of held) lease.release();
    assert.equal(typeof limits.admit('cred_a', '192.0.2.1'), 'object');
  });

  it('refuses a release that was never acquired instead of going negative', () => {
    const counter = new InFlightCounter(1);
    assert.throws(() => counter.release('cred_a'), /never acquired/);
    assert.throws(() => new InFlightCounter(0), RangeError);
  });

  it('over any sequence of admissions and releases, counts match the leases held, never exceed a cap, and drop to zero', () => {
    const command = fc.oneof(
      fc.record({ kind: fc.constant('admit' as const), credential: fc.nat(3), ip: fc.nat(2) }),
      fc.record({ kind: fc.constant('release' as const), index: fc.nat(40), twice: fc.boolean() }),
    );
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 1, max: 4 })),
        fc.option(fc.integer({ min: 1, max: 6 })),
        fc.array(command, { maxLength: 80 }),
        (perCredential, perIp, commands) => {
          const limits = new InFlightLimits({ perCredential, perIp });
          const held: { lease: InFlightLease; credential: string; ip: string }[] = [];
          const heldBy = (field: 'credential' | 'ip', value: string) =>
            held.filter((entry) => entry[field] === value).length;
          for (const c of commands) {
            if (c.kind === 'admit') {
              const credential = `cred_${c.credential}`;
              const ip = `192.0.2.${c.ip}`;
              const fullBefore =
                (perCredential !== null && heldBy('credential', credential) >= perCredential) ||
                (perIp !== null && heldBy('ip', ip) >= perIp);
              const outcome = limits.admit(credential, ip);
              assert.equal(typeof outcome === 'string', fullBefore);
              if (typeof outcome !== 'string') held.push({ lease: outcome, credential, ip });
            } else if (held.length > 0) {
              const [entry] = held.splice(c.index % held.length, 1);
              entry?.lease.release();
              if (c.twice) entry?.lease.release();
            }
            for (let i = 0; i < 4; i++) {
              const count = limits.perCredential?.inFlight(`cred_${i}`) ?? heldBy('credential', `cred_${i}`);
              assert.equal(count, heldBy('credential', `cred_${i}`));
              assert.ok(count >= 0 && count <= (perCredential ?? Number.POSITIVE_INFINITY));
            }
            for (let i = 0; i < 3; i++) {
              const count = limits.perIp?.inFlight(`192.0.2.${i}`) ?? heldBy('ip', `192.0.2.${i}`);
              assert.equal(count, heldBy('ip', `192.0.2.${i}`));
              assert.ok(count <= (perIp ?? Number.POSITIVE_INFINITY));
            }
          }
          for (const entry of held) entry.lease.release();
          assert.equal(limits.perCredential?.keys ?? 0, 0);
          assert.equal(limits.perIp?.keys ?? 0, 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
