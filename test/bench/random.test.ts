import test from 'ava';

import { Random, ZipfSampler } from './random.js';

test('the same seed gives the same numbers, another seed others', (t) => {
  const draw = (seed: number): number[] => {
    const random = new Random(seed);

    return Array.from({ length: 8 }, () => random.next());
  };

  t.deepEqual(draw(42), draw(42));
  t.notDeepEqual(draw(42), draw(43));
});

test('numbers stay in range and are spread evenly', (t) => {
  const random = new Random(1);
  const buckets = new Array<number>(10).fill(0);

  for (let index = 0; index < 100_000; index += 1) {
    const value = random.next();

    t.true(value >= 0 && value < 1);
    buckets[Math.floor(value * 10)] = (buckets[Math.floor(value * 10)] ?? 0) + 1;
  }

  t.true(
    buckets.every((count) => count > 9500 && count < 10_500),
    buckets.join(' '),
  );
  t.is(new Random(2).between(3, 3), 3);
});

test('exponential gaps average the requested mean', (t) => {
  const random = new Random(3);
  let sum = 0;

  for (let index = 0; index < 50_000; index += 1) {
    sum += random.exponential(250);
  }

  t.true(Math.abs(sum / 50_000 - 250) < 5, String(sum / 50_000));
});

test('Zipf draws give rank r a share of 1 / (r + 1) of the first rank', (t) => {
  const sampler = new ZipfSampler(5000, 1);
  const random = new Random(4);
  const counts = new Array<number>(5000).fill(0);

  for (let index = 0; index < 200_000; index += 1) {
    const rank = sampler.draw(random);

    counts[rank] = (counts[rank] ?? 0) + 1;
  }

  const first = counts[0] ?? 0;

  t.true(Math.abs(first / 200_000 - sampler.share(0)) < 0.005);
  t.true(Math.abs(first / (counts[1] ?? 1) - 2) < 0.1);
  t.true(Math.abs(first / (counts[9] ?? 1) - 10) < 1.5);
  t.true(counts.filter((count) => count > 0).length > 4000);
});
