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
}

/**
 * Tells from its bytes (`bytes[start, end)`, without the LF) whether a line need not be decoded:
 * 0 to decode it, any other number to leave it undecoded and pass that number on instead.
 */
export type LineMarker = (bytes: Uint8Array, start: number, end: number) => number;

export interface LineSplitter {
  push(chunk: Buffer): SplitChunk;
  /** The last line when the content does not end with a newline. */
  finish(): SplitChunk;
}

export interface SplitOptions {
  /** Longer lines are cut to this many UTF-16 code units. */
  readonly maxLineLength: number;
  /** Byte offset in the content of the first chunk pushed. */
  readonly startOffset: number;
  /** Asked about each line of valid UTF-8 that is not longer than `maxLineLength` bytes. */
  readonly marker?: LineMarker;
}

const LF = 10;
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
    return {
      lines: [carried.line],
      cut: carried.isCut ? [0] : [],
      invalidUtf8: carried.isInvalid ? 0 : -1,
      endOffset: lineEnd,
    };
  }

  function hasCarry(): boolean {
    return carryBytes > 0 || isCarryCut;
  }

  function keep(chunk: Buffer, from: number, to: number): void {
    const room = carryLimit - carryBytes;
    const end = Math.min(to, from + room);

    if (end < to) {
      isCarryCut = true;
    }

    if (end > from) {
      carry.push(chunk.subarray(from, end));
      carryBytes += end - from;
    }
  }

  function takeCarry(tail: Buffer | undefined): CarriedLine {
    if (tail !== undefined) {
      keep(tail, 0, tail.length);
    }

    const bytes = carry.length === 1 ? carry[0]! : Buffer.concat(carry, carryBytes);
    let line = stripCr(decode(bytes, 0, bytes.length));
    const isCut = isCarryCut || line.length > maxLineLength;
    line = isCut ? cutLine(line, maxLineLength) : line;
    carry = [];
    carryBytes = 0;
    isCarryCut = false;
    return { line, isCut, isInvalid: reportInvalid(line.includes(REPLACEMENT)) };
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
    let invalidUtf8 = carried?.isInvalid === true ? 0 : -1;

    if (text !== undefined) {
      cleanParts(parts, text, base, cut);
    }

    if (text !== undefined && invalidUtf8 === -1 && !isInvalidReported) {
      const index = isUtf8(chunk.subarray(start, end)) ? -1 : firstInvalid(parts);
      invalidUtf8 = reportInvalid(index !== -1) ? base + index : -1;
    }

    const lines = carried === undefined ? parts : [carried.line, ...parts];
    return { lines, cut, invalidUtf8 };
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

    if (carried !== undefined) {
      lines.push(carried.line);
      marks.push(0);
    }

    for (let lineStart = start; lineStart <= end;) {
      const found = chunk.indexOf(LF, lineStart);
      const lineEnd = found === -1 || found > end ? end : found;
      const lineMark = lineEnd - lineStart <= maxLineLength ? mark(chunk, lineStart, lineEnd) : 0;
      marks.push(lineMark);
      lines.push(lineMark === 0 ? decodedLine(chunk, lineStart, lineEnd, lines.length, cut) : '');
      lineStart = lineEnd + 1;
    }

    const invalidUtf8 = carried?.isInvalid === true ? 0 : -1;
    return { lines, cut, invalidUtf8, marks };
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

  function cleanParts(parts: string[], text: string, base: number, cut: number[]): void {
    // Whole-chunk checks first: most chunks have neither a CR nor an over-long line.
    const hasCr = text.includes('\r');
    const mayBeLong = text.length > maxLineLength;

    if (!hasCr && !mayBeLong) {
      return;
    }

    for (let index = 0; index < parts.length; index++) {
      let part = parts[index]!;
      part = hasCr ? stripCr(part) : part;

      if (part.length > maxLineLength) {
        part = cutLine(part, maxLineLength);
        cut.push(base + index);
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
