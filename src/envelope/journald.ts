// `journalctl -o json`: one JSON object per line (systemd's JOURNAL_EXPORT_FORMATS: JSON).

import type { Envelope, Source } from '../model.js';

/**
 * The envelope of one journal entry, or `undefined` when the line is not a journal entry or
 * has no usable message. journalctl writes MESSAGE as `null` when it is over 4096 bytes and
 * `--all` was not given: such an entry still names its program, so it gets an envelope with
 * an empty message, marked `isMessageLeftOut`, and the caller counts it under that program.
 */
export function parseJournalLine(line: string, source: Source): Envelope | undefined {
  return journalEnvelope(parseObject(line), source);
}

/** {@link parseJournalLine} of a line already parsed as JSON. */
export function journalEnvelope(
  entry: Record<string, unknown> | undefined,
  source: Source,
): Envelope | undefined {
  const timestamp = entry?.['__REALTIME_TIMESTAMP'];
  const isLeftOut = entry?.['MESSAGE'] === null;
  const message = entry === undefined || isLeftOut ? undefined : messageOf(entry['MESSAGE']);

  if (entry === undefined || (message === undefined && !isLeftOut) || !isDigits(timestamp)) {
    return undefined;
  }

  // Microseconds since the epoch, as a decimal string.
  const time = Math.floor(Number(timestamp) / 1000);
  const host = stringOf(entry['_HOSTNAME']);
  const program = stringOf(entry['SYSLOG_IDENTIFIER'] ?? entry['_COMM']);
  const pid = pidOf(entry['SYSLOG_PID'] ?? entry['_PID']);
  return {
    time,
    host,
    program,
    ...(pid === undefined ? {} : { pid }),
    message: message ?? '',
    ...(isLeftOut ? { isMessageLeftOut: true as const } : {}),
    source,
  };
}

/** One JSON object per line, or `undefined` for anything else. */
export function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A string, or an array of byte values for messages that are not valid UTF-8 or carry
 *  control characters; the trailing newline or CR some programs log is dropped. */
function messageOf(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return trimEnd(value);
  }

  if (!Array.isArray(value) || !value.every(isByte)) {
    return undefined;
  }

  return trimEnd(Buffer.from(value as number[]).toString('utf8'));
}

export function trimEnd(message: string): string {
  let end = message.length;

  while (end > 0 && (message.charCodeAt(end - 1) === 10 || message.charCodeAt(end - 1) === 13)) {
    end--;
  }

  return end === message.length ? message : message.slice(0, end);
}

function isByte(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255;
}

function isDigits(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,20}$/.test(value);
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function pidOf(value: unknown): number | undefined {
  return typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : undefined;
}
