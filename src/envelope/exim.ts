// Exim's own log shapes: the mainlog envelope, and Exim lines that went through syslog, where
// Exim's timestamp is still inside the message and long lines come in `[n/m]` pieces.

import type { Envelope, Source } from '../model.js';
import type { StampReader } from './timestamps.js';

/** Reads Exim's mainlog, and puts Exim lines that came through syslog back into its shape. */
export interface EximReader {
  /** Exim's mainlog: `YYYY-MM-DD hh:mm:ss[.mmm][ +hhmm] [[pid] ]message`; program `exim`. */
  mainlog(line: string, source: Source): Envelope | undefined;
  /**
   * The envelope with Exim's inner timestamp and `[pid]` removed from the message, `'pending'`
   * for a piece of a split record, `undefined` for a piece whose record is unknown. With
   * `isYearless` (a BSD syslog envelope) Exim's own timestamp, which has the year, is used.
   */
  read(envelope: Envelope, isYearless: boolean): Envelope | 'pending' | undefined;
  /** Split records still buffered, joined as far as they arrived. */
  flush(): Envelope[];
}

interface PendingRecord {
  readonly first: Envelope;
  readonly isYearless: boolean;
  readonly count: number;
  next: number;
  text: string;
}

/** Exim splits syslog records at newlines and after 870 characters (spec: "Log line
 *  splitting"); a piece is `[n/m] text`, or `[n\m] text` when it ended at a newline. */
const PIECE = /^\[(\d{1,4})([/\\])(\d{1,4})\] /;
/** Bounds on what split records may hold while their pieces arrive. */
const MAX_PENDING_RECORDS = 64;
const MAX_RECORD_LENGTH = 64 * 1024;
const DAY_MS = 86_400_000;

export function createEximReader(stamps: StampReader): EximReader {
  const pending = new Map<string, PendingRecord>();

  return {
    mainlog(line, source) {
      if (!stamps.exim(line, 0) || line.charCodeAt(stamps.end) !== 32) {
        return undefined;
      }

      const time = stamps.time;
      const hasPid = stamps.bracketPid(line, stamps.end + 1);
      const message = line.slice(hasPid ? stamps.end : stamps.end + 1);
      return hasPid
        ? { time, host: '', program: 'exim', pid: stamps.pid, message, source }
        : { time, host: '', program: 'exim', message, source };
    },
    read(envelope, isYearless) {
      const piece = envelope.message.charCodeAt(0) === 91 ? PIECE.exec(envelope.message) : null;

      if (piece === null) {
        return stripEximPrefix(envelope, envelope.message, isYearless);
      }

      const [whole, index = '', separator = '', count = ''] = piece;
      const text = envelope.message.slice(whole.length) + (separator === '\\' ? '\\n' : '');
      const record = addPiece(envelope, isYearless, Number(index), Number(count), text);
      return record === 'pending' || record === undefined ? record : finish(record);
    },
    flush() {
      const records = [...pending.values()];
      pending.clear();
      return records.map(finish);
    },
  };

  function addPiece(
    envelope: Envelope,
    isYearless: boolean,
    index: number,
    count: number,
    text: string,
  ): PendingRecord | 'pending' | undefined {
    const key = `${envelope.host}\0${envelope.program}\0${envelope.pid ?? ''}`;
    const record = pending.get(key);

    if (index === 1) {
      pending.delete(key);
      pending.set(key, { first: envelope, isYearless, count, next: 2, text });
      // An unfinished record of the same process, or the oldest one when too many are open,
      // is given out as far as it arrived rather than dropped.
      return record ?? evictOldest() ?? 'pending';
    }

    if (record === undefined || index !== record.next || count !== record.count) {
      // A piece whose beginning was not seen: the caller counts it as not understood.
      return undefined;
    }

    record.text += text;
    record.next++;
    const isDone = index === count || record.text.length > MAX_RECORD_LENGTH;
    return isDone && pending.delete(key) ? record : 'pending';
  }

  function evictOldest(): PendingRecord | undefined {
    if (pending.size <= MAX_PENDING_RECORDS) {
      return undefined;
    }

    const [key, record] = pending.entries().next().value as [string, PendingRecord];
    pending.delete(key);
    return record;
  }

  function finish(record: PendingRecord): Envelope {
    return stripEximPrefix(record.first, record.text, record.isYearless);
  }

  /** Removes Exim's `YYYY-MM-DD hh:mm:ss[.mmm][ +hhmm] ` and `[pid] ` from the message. */
  function stripEximPrefix(envelope: Envelope, message: string, isYearless: boolean): Envelope {
    const hasStamp = stamps.exim(message, 0) && message.charCodeAt(stamps.end) === 32;
    const time = hasStamp && isYearless ? innerTime(envelope.time) : envelope.time;
    const start = hasStamp ? stamps.end + 1 : 0;
    const hasPid = stamps.bracketPid(message, start);
    const text = message.slice(hasPid ? stamps.end : start);
    const pid = hasPid ? stamps.pid : envelope.pid;
    const { host, program, source } = envelope;
    return pid === undefined
      ? { time, host, program, message: text, source }
      : { time, host, program, pid, message: text, source };
  }

  /**
   * Exim's own stamp, just read, which has the year the syslog stamp lacks. Without a zone, a
   * time in the period that repeats when the offset goes back reads as its first pass, while
   * the syslog stamp, read in line order, told the two passes apart: the pass nearer the
   * syslog stamp is taken (when the two are within a day, so that the syslog stamp's year,
   * which may be wrong, does not decide).
   */
  function innerTime(outer: number): number {
    const first = stamps.time;
    const second = first + stamps.repeat;
    const isNearer = Math.abs(outer - second) < Math.abs(outer - first);
    return isNearer && Math.abs(outer - first) < DAY_MS ? second : first;
  }
}
