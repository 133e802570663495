// Seeded randomness for the benchmark generator: the same seed gives the same log, byte for byte.

/** A small-state pseudo-random generator (sfc32: 128 bits of state, period at least 2^32). */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;

    for (let round = 0; round < 12; round += 1) {
      this.next();
    }
  }

  /** A uniform number in [0, 1). */
  next(): number {
    const sum = (((this.a + this.b) | 0) + this.d) | 0;

    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + sum) | 0;

    return (sum >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** An integer in [low, high]. */
  between(low: number, high: number): number {
    return low + this.below(high - low + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }

  /** An exponentially distributed value with the given mean (gaps of a Poisson process). */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** A fresh generator derived from this one, so one stream of choices cannot shift another. */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}

/** Draws ranks 0..count-1 with Zipf-like popularity: rank r has weight 1 / (r + 1)^exponent. */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(count: number, exponent: number) {
    this.cumulative = new Float64Array(count);

    let total = 0;
    for (let rank = 0; rank < count; rank += 1) {
      total += 1 / Math.pow(rank + 1, exponent);
      this.cumulative[rank] = total;
    }
  }

  /** The share of all draws that goes to one rank. */
  share(rank: number): number {
    const total = this.cumulative[this.cumulative.length - 1] ?? 1;
    const before = rank === 0 ? 0 : (this.cumulative[rank - 1] ?? 0);

    return ((this.cumulative[rank] ?? 0) - before) / total;
  }

  draw(random: Random): number {
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;

    return lowerBound(this.cumulative, random.next() * total);
  }
}

function lowerBound(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length - 1;

  while (low < high) {
    const middle = (low + high) >>> 1;

    if ((sorted[middle] ?? 0) <= value) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }

  return low;
}
