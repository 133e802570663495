// Most lines of a Postfix log say nothing about a delivery: connections, client and message-id
// lines, notices. The reader asks this marker about each line before decoding it; a line marked
// here is counted as read and understood without becoming a string, which is most of what
// reading it would cost. The marker answers only when the envelope parser and the Postfix
// parser would give exactly that result, so the counts and events are the same either way.

import { readSyslogBytes, type SyslogBytes } from '../envelope/envelope-bytes.js';
import { isPostfixContext, isPostfixTag } from '../mta/postfix-context.js';

/** Lines longer than this are decoded and parsed: context lines are short. */
const MAX_MARKED_BYTES = 2048;
/** The mark of a line whose stamp needs nothing from the clock (it has a year). */
export const DATED_CONTEXT_MARK = -1;

const CR = 13;
/** Reused for every line: the marker runs on one thread, one line at a time. */
const PARTS: SyslogBytes = { stamp: 0, programStart: 0, programEnd: 0, messageStart: 0 };

/**
 * The mark of `bytes[start, end)` (without its LF): 0 when the line has to be decoded and
 * parsed; otherwise the packed year-less stamp of a context line (see `packStamp`), which the
 * envelope parser is still shown, or `DATED_CONTEXT_MARK`.
 */
export function markContextLine(bytes: Uint8Array, start: number, end: number): number {
  const last = bytes[end - 1] === CR ? end - 1 : end;
  if (last - start > MAX_MARKED_BYTES) return 0;

  const at = PARTS;
  if (!readSyslogBytes(bytes, start, last, at)) return 0;
  if (!isPostfixTag(bytes, at.programStart, at.programEnd)) return 0;
  if (!isPostfixContext(bytes, at.messageStart, last)) return 0;
  return at.stamp === 0 ? DATED_CONTEXT_MARK : at.stamp;
}
