// Postfix lines that carry context only (connections, arrivals, notices), told from their bytes
// before they are decoded. The answer is the Postfix parser's own: such a line gives it no
// record and changes none of its state, so the reader may count it and move on. Anything the
// parser would read (`to=`, `from=`, `removed`) or not understand is left to the parser.

import { byteAt, startsWith } from '../envelope/envelope-bytes.js';
import {
  CONTEXT_PREFIXES,
  LONG_ID_CHARS,
  MAX_QUEUE_ID,
  QUEUE_CONTEXT_PREFIXES,
  SHORT_ID_CHARS,
} from './postfix-lines.js';

/** Prefixes as bytes, listed under their first byte: one short list to try per line. */
type PrefixIndex = readonly (readonly Uint8Array[])[];

const COLON = 58;
const SPACE = 32;
const LETTER_P = 112;
const POSTFIX = Buffer.from('postfix');
const TO = Buffer.from('to=');
const FROM = Buffer.from('from=');
const REMOVED = Buffer.from('removed');
const UID = Buffer.from('uid=');
const ORIG_ID = Buffer.from(' orig_id=');
const CONTEXT = indexPrefixes(CONTEXT_PREFIXES);
const QUEUE_CONTEXT = indexPrefixes(QUEUE_CONTEXT_PREFIXES);

/** Whether the tag `bytes[start, end)` is `postfix`, `postfix/...` or `postfix-...`: the tags
 *  of nearly every Postfix log. `isPostfixProgram` accepts more (`server1-1/smtp`); such lines
 *  are decoded and parsed in full, with the same result, only slower. */
export function isPostfixTag(bytes: Uint8Array, start: number, end: number): boolean {
  if (byteAt(bytes, start) !== LETTER_P || !startsWith(bytes, start, end, POSTFIX)) return false;
  if (end === start + POSTFIX.length) return true;
  const next = byteAt(bytes, start + POSTFIX.length);
  return next === 47 || next === 45;
}

/**
 * Whether the Postfix message `bytes[start, end)` is context only: one of `CONTEXT_PREFIXES`,
 * or a queue id followed by one of `QUEUE_CONTEXT_PREFIXES`, as `createPostfixParser` reads it.
 */
export function isPostfixContext(bytes: Uint8Array, start: number, end: number): boolean {
  const idLength = queueIdLength(bytes, start, end);
  if (idLength === 0) return hasPrefix(bytes, start, end, CONTEXT);

  const after = start + idLength + 2;
  if (startsWith(bytes, after, end, TO) || startsWith(bytes, after, end, FROM)) return false;
  if (end === after + REMOVED.length && startsWith(bytes, after, end, REMOVED)) return false;
  if (startsWith(bytes, after, end, UID) && hasOrigId(bytes, after, end)) return false;
  return hasPrefix(bytes, after, end, QUEUE_CONTEXT);
}

/** Length of the queue id that starts the message and is followed by `: `, or 0; the byte
 *  form of the parser's `queueIdLength`. */
function queueIdLength(bytes: Uint8Array, start: number, end: number): number {
  let isShort = true;
  let isLong = true;
  let index = start;
  const limit = Math.min(end, start + MAX_QUEUE_ID);
  for (; index < limit; index += 1) {
    const code = byteAt(bytes, index);
    if (code === COLON) break;
    if (SHORT_ID_CHARS[code] !== 1) isShort = false;
    if (LONG_ID_CHARS[code] !== 1) isLong = false;
    if (!isShort && !isLong) return 0;
  }

  const isFollowed =
    index + 1 < end && byteAt(bytes, index) === COLON && byteAt(bytes, index + 1) === SPACE;
  const length = index - start;
  if (!isFollowed) return 0;
  if (isShort && length >= 5) return length;
  return isLong && length >= 10 ? length : 0;
}

/** Whether pickup's line ends with the ` orig_id=` of a requeued message (its last field,
 *  followed by a queue id of at most `MAX_QUEUE_ID` characters). */
function hasOrigId(bytes: Uint8Array, start: number, end: number): boolean {
  const from = Math.max(start, end - MAX_QUEUE_ID - ORIG_ID.length);
  for (let pos = from; pos < end; pos += 1) {
    if (startsWith(bytes, pos, end, ORIG_ID)) return true;
  }

  return false;
}

function hasPrefix(bytes: Uint8Array, pos: number, end: number, index: PrefixIndex): boolean {
  const candidates = index[byteAt(bytes, pos)];
  if (candidates === undefined) return false;

  for (const prefix of candidates) {
    if (startsWith(bytes, pos, end, prefix)) return true;
  }

  return false;
}

function indexPrefixes(prefixes: readonly string[]): PrefixIndex {
  const index: Uint8Array[][] = Array.from({ length: 128 }, () => []);
  for (const prefix of prefixes) index[prefix.charCodeAt(0)]?.push(Buffer.from(prefix));
  return index;
}
