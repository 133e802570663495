import { getHeapStatistics } from 'node:v8';

/** Below this much heap in use, V8's own schedule is left alone. */
const FLOOR_BYTES = 48 * 1024 * 1024;

export interface HeapGuard {
  /** Collects when the heap in use has grown by half since the last collection. */
  check(): void;
  /** Collects now: between stages that each build much and leave the last one's garbage. */
  settle(): void;
}

/**
 * Keeps the heap near what is really live. V8 lets the old generation grow to about twice its
 * live size before collecting, and the freed pages stay resident: on a long log that doubles
 * the peak memory. When the process runs with `--expose-gc` (bin/mxtriage does), a full
 * collection is asked for whenever the heap in use has grown by half since the last one, and
 * between the final stages. Without the flag this does nothing.
 */
export function createHeapGuard(): HeapGuard {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) return { check: () => undefined, settle: () => undefined };
  return guardWith(collect);
}

function guardWith(collect: () => void): HeapGuard {
  let limit = FLOOR_BYTES;

  function settle(): void {
    collect();
    limit = Math.max(FLOOR_BYTES, getHeapStatistics().used_heap_size * 1.5);
  }

  function check(): void {
    if (getHeapStatistics().used_heap_size >= limit) settle();
  }

  return { check, settle };
}
