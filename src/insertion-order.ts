// The oldest key of a bounded map or set, found in constant time. V8 keeps the slot of a deleted
// entry of a Map or Set until the table is rebuilt, and iterating from the start walks over
// every such slot, so taking the first key again and again after deleting the one before takes
// longer with each deletion: a map of 200,000 entries kept at its cap took a minute for 800,000
// evictions. The order is kept in an array instead, and keys no longer present are skipped.

export interface InsertionOrder<K> {
  /** Notes a key just inserted into the map or set. */
  added(key: K): void;
  /** The oldest noted key that `isPresent` still finds; it leaves the order. */
  takeOldest(isPresent: (key: K) => boolean): K | undefined;
}

/** Keys no longer live that are kept before the order is rebuilt from the live keys: a quarter
 *  of the live ones and this many more. They hold what they name alive (an outcome tracker's
 *  closed recipients), so few are let pile up; rebuilding costs a pass over the live keys. */
const SLACK = 1024;
const STALE_SHARE = 0.25;

/**
 * `liveKeys` gives the map's keys in its own insertion order. Nothing is kept until the first
 * eviction: most runs never reach a cap, and then this costs nothing.
 */
export function createInsertionOrder<K>(
  liveKeys: () => Iterable<K>,
  liveSize: () => number,
): InsertionOrder<K> {
  let keys: K[] | undefined;
  let head = 0;

  return {
    added(key) {
      if (keys === undefined) return;
      keys.push(key);
      // Keys deleted from the map stay here until skipped: rebuilt before they pile up.
      const live = liveSize();
      if (keys.length - head > live + live * STALE_SHARE + SLACK) {
        keys = [...liveKeys()];
        head = 0;
      }
    },
    takeOldest(isPresent) {
      keys ??= [...liveKeys()];
      while (head < keys.length) {
        const key = keys[head] as K;
        head += 1;
        if (head > SLACK && head * 2 > keys.length) {
          keys = keys.slice(head);
          head = 0;
        }

        if (isPresent(key)) return key;
      }

      return undefined;
    },
  };
}
