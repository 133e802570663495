// Notes about the input that every human report adds to its counts, in the same words.

import type { Analysis } from '../model.js';

/** Damage found in the input (NUL blocks, over-long lines, invalid UTF-8, data after gzip). */
export function warningsNote(warnings: number): string {
  if (warnings === 0) return '';
  return `, ${warnings} input ${warnings === 1 ? 'warning' : 'warnings'} (--show-unparsed N shows them)`;
}

/** Inputs that go back in time: what it does to the counts, and what to do instead. */
export function outOfOrderNote(summary: Analysis['summary']): string {
  return (
    `${summary.eventsOutOfOrder} delivery events came after their window had closed (the ` +
    "inputs go back in time): messages seen on both sides count twice; read each host's " +
    'logs in a run of their own'
  );
}
