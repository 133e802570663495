import test from 'ava';
import fc from 'fast-check';

import { EventQueue } from './event-queue.js';

test('events come out in time order, equal times in the order they went in', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
      const queue = new EventQueue<{ time: number; order: number }>();

      times.forEach((time, order) => queue.push({ time, order }));

      const out: { time: number; order: number }[] = [];

      for (let event = queue.pop(); event !== undefined; event = queue.pop()) {
        out.push(event);
      }

      const expected = times
        .map((time, order) => ({ time, order }))
        .sort((a, b) => a.time - b.time || a.order - b.order);

      t.deepEqual(out, expected);
      t.is(queue.size, 0);
    }),
  );
});

test('events pushed while popping still come out in order', (t) => {
  const queue = new EventQueue<{ time: number }>();
  const seen: number[] = [];

  queue.push({ time: 5 });
  queue.push({ time: 1 });

  for (let event = queue.pop(); event !== undefined; event = queue.pop()) {
    seen.push(event.time);

    if (event.time === 1) {
      queue.push({ time: 3 });
      queue.push({ time: 9 });
    }
  }

  t.deepEqual(seen, [1, 3, 5, 9]);
});
