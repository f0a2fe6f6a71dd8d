import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EndpointSlots } from './endpoint-slots.ts';

describe('endpoint slots', () => {
  it('an endpoint holds two rounds and runs one round at a time', () => {
    const slots = new EndpointSlots<string>(2);
    assert.equal(slots.roomFor('e'), 4);
    for (const delivery of ['a', 'b', 'c', 'd']) {
      slots.hold('e');
      slots.wait('e', delivery);
    }
    assert.equal(slots.roomFor('e'), 0);
    assert.deepEqual(
      [slots.startNext('e'), slots.startNext('e'), slots.startNext('e')],
      ['a', 'b', undefined],
    );
    slots.attemptEnded('e');
    assert.equal(slots.startNext('e'), 'c');
  });

  it('asks for a refill only when an endpoint is down to one round, and claims skip it until then', () => {
    const slots = new EndpointSlots<string>(2);
    for (const delivery of ['a', 'b', 'c', 'd']) {
      slots.hold('e');
      slots.wait('e', delivery);
    }
    assert.deepEqual([...slots.full()], ['e']);
    slots.startNext('e');
    slots.startNext('e');
    assert.equal(slots.attemptEnded('e'), false);
    assert.deepEqual([...slots.full()], ['e']);
    assert.equal(slots.attemptEnded('e'), true);
    assert.deepEqual([...slots.full()], []);
    assert.equal(slots.roomFor('e'), 2);
  });

  it('a disabled endpoint gives back what waits, and is forgotten once everything is released', () => {
    const slots = new EndpointSlots<string>(1);
    for (const delivery of ['a', 'b']) {
      slots.hold('e');
      slots.wait('e', delivery);
    }
    assert.equal(slots.startNext('e'), 'a');
    assert.deepEqual(slots.takeWaiting('e'), ['b']);
    slots.release('e');
    assert.deepEqual([...slots.endpoints()], ['e']);
    slots.attemptEnded('e');
    assert.deepEqual([...slots.endpoints()], []);
  });

  it('under any sequence of claims, attempts and give-backs, counts stay within bounds and every delivery comes back once', () => {
    const endpoint = fc.constantFrom('e1', 'e2', 'e3');
    const step = fc.oneof(
      fc.record({ op: fc.constant('claim' as const), endpoint, count: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ op: fc.constant('prepare' as const), endpoint, skip: fc.boolean() }),
      fc.record({ op: fc.constant('start' as const), endpoint }),
      fc.record({ op: fc.constant('end' as const), endpoint }),
      fc.record({ op: fc.constant('disable' as const), endpoint }),
      fc.record({ op: fc.constant('stop' as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(step, { maxLength: 80 }), (concurrency, steps) => {
        type Delivery = { readonly n: number; readonly endpoint: string };
        const slots = new EndpointSlots<Delivery>(concurrency);
        // The model, per endpoint: claimed but not prepared yet, waiting, in flight.
        const model = new Map<string, { claimed: Delivery[]; waiting: Delivery[]; inFlight: Delivery[] }>();
        const of = (id: string) => {
          const entry = model.get(id) ?? { claimed: [], waiting: [], inFlight: [] };
          model.set(id, entry);
          return entry;
        };
        const held = (id: string) => {
          const entry = of(id);
          return entry.claimed.length + entry.waiting.length + entry.inFlight.length;
        };
        let claimedCount = 0;
        const returned = new Set<number>();
        const release = (delivery: Delivery, viaAttempt: boolean) => {
          const before = held(delivery.endpoint) + 1; // already taken out of the model
          const refill = viaAttempt
            ? slots.attemptEnded(delivery.endpoint)
            : slots.release(delivery.endpoint);
          assert.equal(refill, before === concurrency + 1, 'a refill is asked for exactly at one round left');
          assert.ok(!returned.has(delivery.n), 'no delivery comes back twice');
          returned.add(delivery.n);
        };
        const check = () => {
          for (const id of ['e1', 'e2', 'e3']) {
            assert.ok(slots.roomFor(id) >= 0, 'never above capacity');
            assert.ok(slots.roomFor(id) <= 2 * concurrency, 'never negative');
            assert.equal(slots.roomFor(id), 2 * concurrency - held(id));
            assert.ok(of(id).inFlight.length <= concurrency);
            assert.equal(slots.full().has(id), held(id) > concurrency);
            assert.equal([...slots.endpoints()].includes(id), held(id) > 0);
          }
        };
        const run = (s: (typeof steps)[number]) => {
          if (s.op === 'stop') {
            const waiting = slots.takeAllWaiting();
            const expected = [...model.values()].flatMap((entry) => entry.waiting);
            assert.deepEqual(
              waiting.map((d) => d.n).sort((a, b) => a - b),
              expected.map((d) => d.n).sort((a, b) => a - b),
            );
            // Given back one at a time, as the worker does: each release sees the others still held.
            for (const delivery of waiting) {
              const entry = of(delivery.endpoint);
              entry.waiting.splice(
                entry.waiting.findIndex((d) => d.n === delivery.n),
                1,
              );
              release(delivery, false);
            }
            return;
          }
          const entry = of(s.endpoint);
          if (s.op === 'claim') {
            const count = Math.min(s.count, slots.roomFor(s.endpoint));
            for (let i = 0; i < count; i++) {
              slots.hold(s.endpoint);
              entry.claimed.push({ n: claimedCount++, endpoint: s.endpoint });
            }
          } else if (s.op === 'prepare') {
            const delivery = entry.claimed.shift();
            if (delivery === undefined) return;
            if (s.skip) release(delivery, false);
            else {
              slots.wait(s.endpoint, delivery);
              entry.waiting.push(delivery);
            }
          } else if (s.op === 'start') {
            const started = slots.startNext(s.endpoint);
            const expected = entry.inFlight.length < concurrency ? entry.waiting.shift() : undefined;
            assert.equal(started, expected, 'attempts start in claim order, one round at a time');
            if (started !== undefined) entry.inFlight.push(started);
          } else if (s.op === 'end') {
            const delivery = entry.inFlight.shift();
            if (delivery !== undefined) release(delivery, true);
          } else {
            const waiting = slots.takeWaiting(s.endpoint);
            assert.deepEqual(waiting, entry.waiting);
            for (const delivery of waiting) {
              entry.waiting.shift();
              release(delivery, false);
            }
          }
        };
        for (const s of steps) {
          run(s);
          check();
        }
        // Wind down: give back what is claimed or waiting, end what is in flight.
        for (const [id, entry] of model) {
          for (let delivery = entry.claimed.shift(); delivery; delivery = entry.claimed.shift())
            release(delivery, false);
          for (const delivery of slots.takeWaiting(id)) {
            entry.waiting.shift();
            release(delivery, false);
          }
          for (let delivery = entry.inFlight.shift(); delivery; delivery = entry.inFlight.shift())
            release(delivery, true);
        }
        check();
        assert.equal(returned.size, claimedCount, 'every claimed delivery came back');
        assert.deepEqual([...slots.endpoints()], []);
      }),
    );
  });
});
