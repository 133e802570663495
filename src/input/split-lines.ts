// Splits a byte stream into text lines without one allocation or await per line: each chunk
// is decoded once and split once; only the part after the chunk's last newline is carried.

import { isUtf8 } from 'node:buffer';

/** The complete lines one chunk finished. */
export interface SplitChunk {
  /** Lines without their LF or CRLF, and the first without a byte order mark; invalid UTF-8 is
   *  replaced by U+FFFD. */
  readonly lines: string[];
  /** Indexes into `lines` of the lines cut to the maximum length. */
  readonly cut: readonly number[];
  /** Index into `lines` of the first line with invalid UTF-8 in this input, or -1. Reported
   *  once per input: a Latin-1 log would otherwise give one report per line. */
  readonly invalidUtf8: number;
  /** Byte offset in the content after the last line in `lines`, a byte order mark counted. */
  readonly endOffset: number;
  /** With a `marker`: its mark for each line, 0 for a line decoded into `lines`. A marked line
   *  was not decoded; its place in `lines` holds an empty string. */
  readonly marks?: readonly number[];
  /** The lines that had NUL bytes before them, removed. Absent when none had. */
  readonly nulsRemoved?: readonly RemovedNuls[];
  /** From `finish`: NUL bytes after the last line, with no line after them. */
  readonly nulsAtEnd?: number;
}

/** A run of NUL bytes removed from the start of a line: the zero-filled blocks a crash leaves
 *  where the file system had kept room the kernel never wrote. */
export interface RemovedNuls {
  /** Index into `lines`. */
  readonly index: number;
  readonly count: number;
}

/**
 * Tells from its bytes (`bytes[start, end)`, without the LF and the NUL bytes before the line)
 * whether a line need not be decoded: 0 to decode it, any other number to leave it undecoded
 * and pass that number on instead.
 */
export type LineMarker = (bytes: Uint8Array, start: number, end: number) => number;

export interface LineSplitter {
  push(chunk: Buffer): SplitChunk;
  /** The last line when the content does not end with a newline. */
  finish(): SplitChunk;
}

export interface SplitOptions {
  /** Longer lines are cut to this many UTF-16 code units, after NUL bytes before them are
   *  removed: a zero-filled block of any size leaves the line after it whole. */
  readonly maxLineLength: number;
  /** Byte offset in the content of the first chunk pushed. */
  readonly startOffset: number;
  /** Asked about each line of valid UTF-8 that is not longer than `maxLineLength` bytes. */
  readonly marker?: LineMarker;
}

const LF = 10;
const NUL = 0;
const REPLACEMENT = '\uFFFD';
const BYTE_ORDER_MARK = 0xfeff;

/** One splitter per input: it carries an unfinished line from one chunk to the next. */
export function createLineSplitter(options: SplitOptions): LineSplitter {
  const { maxLineLength, marker } = options;
  // A UTF-16 code unit takes at most 3 UTF-8 bytes, so this many bytes always decode to at
  // least `maxLineLength` units; the rest of an over-long line is dropped as it streams by.
  const carryLimit = maxLineLength * 3 + 3;
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let isCarryCut = false;
  // NUL bytes before the carried line are counted, not kept: a zero-filled block may be as
  // large as the file system's preallocation.
  let carryNuls = 0;
  let offset = options.startOffset;
  let lineEnd = offset;
  let isInvalidReported = false;
  // Only the content's first bytes can hold a byte order mark; a resumed read starts past them.
  let isAtStart = offset === 0;

  return { push, finish };

  function push(chunk: Buffer): SplitChunk {
    const last = chunk.lastIndexOf(LF);
    offset += chunk.length;

    if (last === -1) {
      keep(chunk, 0, chunk.length);
      return { lines: [], cut: [], invalidUtf8: -1, endOffset: lineEnd };
    }

    const first = hasCarry() ? chunk.indexOf(LF) : -1;
    const carried = first === -1 ? undefined : takeCarry(chunk.subarray(0, first));
    const split = splitText(chunk, first + 1, last, carried);
    keep(chunk, last + 1, chunk.length);
    lineEnd = offset - (chunk.length - last - 1);
    return { ...split, endOffset: lineEnd };
  }

  function finish(): SplitChunk {
    if (!hasCarry()) {
      return { lines: [], cut: [], invalidUtf8: -1, endOffset: lineEnd };
    }

    const carried = takeCarry(undefined);
    lineEnd = offset;

    if (carried.line.length === 0 && carried.nuls > 0) {
      return { lines: [], cut: [], invalidUtf8: -1, endOffset: lineEnd, nulsAtEnd: carried.nuls };
    }

    return {
      lines: [carried.line],
      cut: carried.isCut ? [0] : [],
      invalidUtf8: carried.isInvalid ? 0 : -1,
      endOffset: lineEnd,
      ...nulsOf(carriedNuls(carried)),
    };
  }

  function hasCarry(): boolean {
    return carryBytes > 0 || isCarryCut || carryNuls > 0;
  }

  function keep(chunk: Buffer, from: number, to: number): void {
    const start = carryBytes === 0 ? afterNuls(chunk, from, to) : from;
    carryNuls += start - from;
    const room = carryLimit - carryBytes;
    const end = Math.min(to, start + room);

    if (end < to) {
      isCarryCut = true;
    }

    if (end > start) {
      carry.push(chunk.subarray(start, end));
      carryBytes += end - start;
    }
  }

  function takeCarry(tail: Buffer | undefined): CarriedLine {
    if (tail !== undefined) {
      keep(tail, 0, tail.length);
    }

    const bytes = carry.length === 1 ? carry[0]! : Buffer.concat(carry, carryBytes);
    let line = stripCr(decode(bytes, 0, bytes.length));
    const isCut = isCarryCut || line.length > maxLineLength;
    const nuls = carryNuls;
    line = isCut ? cutLine(line, maxLineLength) : line;
    carry = [];
    carryBytes = 0;
    isCarryCut = false;
    carryNuls = 0;
    return { line, isCut, isInvalid: reportInvalid(line.includes(REPLACEMENT)), nuls };
  }

  function splitText(
    chunk: Buffer,
    start: number,
    end: number,
    carried: CarriedLine | undefined,
  ): Omit<SplitChunk, 'endOffset'> {
    if (marker !== undefined && !isAtStart && start < end && isUtf8(chunk.subarray(start, end))) {
      return splitMarked(chunk, start, end, carried, marker);
    }

    const text = start <= end ? decode(chunk, start, end) : undefined;
    const parts = text === undefined ? [] : text.split('\n');
    const base = carried === undefined ? 0 : 1;
    const cut = carried?.isCut === true ? [0] : [];
    const nuls = carriedNuls(carried);
    let invalidUtf8 = carried?.isInvalid === true ? 0 : -1;

    if (text !== undefined) {
      cleanParts(parts, text, base, { cut, nuls });
    }

    if (text !== undefined && invalidUtf8 === -1 && !isInvalidReported) {
      const index = isUtf8(chunk.subarray(start, end)) ? -1 : firstInvalid(parts);
      invalidUtf8 = reportInvalid(index !== -1) ? base + index : -1;
    }

    const lines = carried === undefined ? parts : [carried.line, ...parts];
    return { lines, cut, invalidUtf8, ...nulsOf(nuls) };
  }

  /**
   * The text of bytes, in content order. Windows tools write UTF-8 with a byte order mark, which
   * RFC 3629 §6 calls a signature, not part of the text: it is dropped from the content's start
   * (Buffer keeps it, unlike TextDecoder). Only the string loses it; offsets still count bytes.
   */
  function decode(bytes: Buffer, start: number, end: number): string {
    const text = bytes.toString('utf8', start, end);

    if (!isAtStart) {
      return text;
    }

    isAtStart = false;
    return text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
  }

  /**
   * Valid UTF-8 split at each LF, each line decoded alone unless the marker marks it. The same
   * lines as decoding the whole range at once would give: an LF is never part of a multi-byte
   * character.
   */
  function splitMarked(
    chunk: Buffer,
    start: number,
    end: number,
    carried: CarriedLine | undefined,
    mark: LineMarker,
  ): Omit<SplitChunk, 'endOffset'> {
    const lines: string[] = [];
    const marks: number[] = [];
    const cut = carried?.isCut === true ? [0] : [];
    const nuls = carriedNuls(carried);

    if (carried !== undefined) {
      lines.push(carried.line);
      marks.push(0);
    }

    for (let lineStart = start; lineStart <= end;) {
      const found = chunk.indexOf(LF, lineStart);
      const lineEnd = found === -1 || found > end ? end : found;
      const textStart = afterNuls(chunk, lineStart, lineEnd);

      if (textStart > lineStart) {
        nuls.push({ index: lines.length, count: textStart - lineStart });
      }

      const lineMark = lineEnd - textStart <= maxLineLength ? mark(chunk, textStart, lineEnd) : 0;
      marks.push(lineMark);
      lines.push(lineMark === 0 ? decodedLine(chunk, textStart, lineEnd, lines.length, cut) : '');
      lineStart = lineEnd + 1;
    }

    const invalidUtf8 = carried?.isInvalid === true ? 0 : -1;
    return { lines, cut, invalidUtf8, marks, ...nulsOf(nuls) };
  }

  function decodedLine(
    chunk: Buffer,
    start: number,
    end: number,
    index: number,
    cut: number[],
  ): string {
    const line = stripCr(chunk.toString('utf8', start, end));
    if (line.length <= maxLineLength) return line;
    cut.push(index);
    return cutLine(line, maxLineLength);
  }

  function cleanParts(parts: string[], text: string, base: number, found: Found): void {
    // Whole-chunk checks first: most chunks have no CR, no NUL and no over-long line.
    const hasCr = text.includes('\r');
    const hasNul = text.includes('\0');
    const mayBeLong = text.length > maxLineLength;

    if (!hasCr && !hasNul && !mayBeLong) {
      return;
    }

    for (let index = 0; index < parts.length; index++) {
      let part = parts[index]!;
      part = hasNul ? withoutNuls(part, base + index, found.nuls) : part;
      part = hasCr ? stripCr(part) : part;

      if (part.length > maxLineLength) {
        part = cutLine(part, maxLineLength);
        found.cut.push(base + index);
      }

      parts[index] = part;
    }
  }

  function reportInvalid(isInvalid: boolean): boolean {
    if (!isInvalid || isInvalidReported) {
      return false;
    }

    isInvalidReported = true;
    return true;
  }
}

interface CarriedLine {
  readonly line: string;
  readonly isCut: boolean;
  readonly isInvalid: boolean;
  /** NUL bytes that were before it. */
  readonly nuls: number;
}

/** What `cleanParts` found in a chunk's lines, by index into the chunk's `lines`. */
interface Found {
  readonly cut: number[];
  readonly nuls: RemovedNuls[];
}

/** Where the NUL bytes at `bytes[from]` end, or `from` when there are none (before `to`). */
function afterNuls(bytes: Uint8Array, from: number, to: number): number {
  let index = from;

  while (index < to && bytes[index] === NUL) {
    index++;
  }

  return index;
}

/** The line without the NUL characters it starts with, noted in `nuls` under `index`. */
function withoutNuls(line: string, index: number, nuls: RemovedNuls[]): string {
  let start = 0;

  while (line.charCodeAt(start) === NUL) {
    start++;
  }

  if (start === 0) {
    return line;
  }

  nuls.push({ index, count: start });
  return line.slice(start);
}

function carriedNuls(carried: CarriedLine | undefined): RemovedNuls[] {
  return carried !== undefined && carried.nuls > 0 ? [{ index: 0, count: carried.nuls }] : [];
}

/** The `nulsRemoved` field, left out when there are none. */
function nulsOf(nuls: readonly RemovedNuls[]): Pick<SplitChunk, 'nulsRemoved'> {
  return nuls.length === 0 ? {} : { nulsRemoved: nuls };
}

function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

function cutLine(line: string, length: number): string {
  // Do not leave half of a surrogate pair at the end.
  const code = line.charCodeAt(length - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? length - 1 : length;
  return line.slice(0, end);
}

function firstInvalid(parts: readonly string[]): number {
  return parts.findIndex((part) => part.includes(REPLACEMENT));
}
