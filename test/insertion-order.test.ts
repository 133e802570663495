import test from 'ava';
import fc from 'fast-check';
import { createInsertionOrder } from '../src/insertion-order.js';
import { setBounded } from '../src/mta/common.js';

test('the oldest key still present is taken, keys deleted meanwhile are skipped', (t) => {
  const live = new Set<string>();
  const order = createInsertionOrder(
    () => live.values(),
    () => live.size,
  );
  for (const key of ['a', 'b', 'c', 'd']) {
    live.add(key);
    order.added(key);
  }
  live.delete('a');
  live.delete('c');

  t.is(
    order.takeOldest((key) => live.has(key)),
    'b',
  );
  t.is(
    order.takeOldest((key) => live.has(key)),
    'd',
  );
  t.is(
    order.takeOldest((key) => live.has(key)),
    undefined,
  );
});

test('a bounded map evicts exactly what evicting its first key would', (t) => {
  // Keys are never reused after deletion here, as queue ids within one run mostly are not.
  const step = fc.oneof(
    fc.record({ kind: fc.constant('set' as const) }),
    fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  );
  fc.assert(
    fc.property(
      fc.array(step, { maxLength: 400 }),
      fc.integer({ min: 1, max: 20 }),
      (steps, cap) => {
        const bounded = new Map<string, number>();
        const reference = new Map<string, number>();
        let next = 0;
        for (const { kind, ...rest } of steps) {
          if (kind === 'set') {
            const key = `q${next++}`;
            setBounded(bounded, key, next, cap);
            if (reference.size >= cap) reference.delete(reference.keys().next().value as string);
            reference.set(key, next);
          } else {
            const keys = [...reference.keys()];
            const key = keys[('pick' in rest ? rest.pick : 0) % Math.max(1, keys.length)];
            if (key !== undefined) {
              bounded.delete(key);
              reference.delete(key);
            }
          }
        }

        t.deepEqual([...bounded.keys()], [...reference.keys()]);
      },
    ),
  );
});
