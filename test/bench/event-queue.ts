// A binary min-heap of timed simulation events. Ties keep insertion order, so the generated log
// is the same on every run.

export interface Timed {
  readonly time: number;
}

interface Entry<T> {
  readonly time: number;
  readonly order: number;
  readonly item: T;
}

export class EventQueue<T extends Timed> {
  private readonly heap: Entry<T>[] = [];
  private inserted = 0;

  get size(): number {
    return this.heap.length;
  }

  push(item: T): void {
    this.heap.push({ time: item.time, order: this.inserted, item });
    this.inserted += 1;
    this.siftUp(this.heap.length - 1);
  }

  /** The earliest event, or undefined when none is left. */
  pop(): T | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();

    if (top === undefined || last === undefined) {
      return undefined;
    }

    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }

    return top.item;
  }

  private siftUp(start: number): void {
    let index = start;

    while (index > 0) {
      const parent = (index - 1) >>> 1;

      if (!this.isBefore(index, parent)) {
        return;
      }

      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(start: number): void {
    let index = start;

    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let first = index;

      if (left < this.heap.length && this.isBefore(left, first)) {
        first = left;
      }

      if (right < this.heap.length && this.isBefore(right, first)) {
        first = right;
      }

      if (first === index) {
        return;
      }

      this.swap(index, first);
      index = first;
    }
  }

  private isBefore(one: number, other: number): boolean {
    const a = this.heap[one] as Entry<T>;
    const b = this.heap[other] as Entry<T>;

    return a.time < b.time || (a.time === b.time && a.order < b.order);
  }

  private swap(one: number, other: number): void {
    const held = this.heap[one] as Entry<T>;

    this.heap[one] = this.heap[other] as Entry<T>;
    this.heap[other] = held;
  }
}
