// Reads log inputs (plain or gzip files, stdin) as batches of lines, one input after another.
// A problem ends its own input only; the next inputs are still read.

import {
  close as closeFd,
  constants,
  existsSync,
  fstat,
  open as openFd,
  read as readFd,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { open, readlink, stat, type FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { MxtriageError } from '../errors.js';
import { gunzip } from './gunzip.js';
import { compressedTwins, isRotatedCopy, orderInputs } from './order-inputs.js';
import { PlannedStarts } from './planned-starts.js';
import { createLineSplitter, type LineMarker, type SplitChunk } from './split-lines.js';
import { gzipMtime, isGzip, looksBinary } from './sniff.js';

export { orderInputs };

export interface InputInfo {
  /** As given; `-` for stdin. */
  readonly name: string;
  /** Modification time of a file, ms since the epoch. */
  readonly mtime?: number;
}

export interface LineBatch {
  readonly kind: 'lines';
  readonly input: InputInfo;
  readonly lines: readonly string[];
  /** 1-based number of `lines[0]` in the input: counted from where reading started, plus the
   *  lines before it when `startLines` says how many there were. */
  readonly firstLine: number;
  /** Byte offset after the last line of the batch: in the file for plain files, in the
   *  decompressed content for gzip files (what `startOffsets` takes); absent for stdin. */
  readonly endOffset?: number;
  /** Bytes of the file read so far (compressed bytes for gzip), for progress. */
  readonly bytesRead: number;
  /** With a `marker`: its mark for each line; a marked line is an empty string in `lines`. */
  readonly marks?: readonly number[];
}

export interface InputProblem {
  readonly kind: 'problem';
  readonly input: InputInfo;
  /** Fatal for that input only. */
  readonly error: MxtriageError;
}

/** Something wrong that did not stop the input: a line cut, with invalid UTF-8 or with NUL
 *  bytes before it (removed); NUL bytes or data after the end of a gzip stream at the end of
 *  the input (reported at the last line read). */
export interface LineWarning {
  readonly kind: 'warning';
  readonly input: InputInfo;
  readonly line: number;
  readonly message: string;
}

export type InputItem = LineBatch | InputProblem | LineWarning;

export interface ReadOptions {
  /** What `-` reads; process.stdin by default. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Where to begin, by input name: a byte offset in a plain file, or in the decompressed
   *  content of a gzip file. Used to resume from a state file. When it is `PlannedStarts`, each
   *  input is read from the file opened when its offset was chosen, not opened again. */
  readonly startOffsets?: ReadonlyMap<string, number>;
  /** How many lines come before each start offset, so that line numbers are the file's own;
   *  unknown, numbering starts at 1 where reading starts. */
  readonly startLines?: ReadonlyMap<string, number>;
  /** Longer lines are cut to this length with a warning; 64 KiB by default. */
  readonly maxLineLength?: number;
  /**
   * Leave a last line without a newline unread in live plain logs (not stdin, gzip or rotated
   * copies): the mail server may be writing it right now. A run that saves its offsets for the
   * next one (`summary --state`) reads it next time, whole, instead of half of it now.
   */
  readonly holdUnfinishedLine?: boolean;
  /** Lines it marks are not decoded (see `LineMarker`). */
  readonly marker?: LineMarker;
  /** How long a named pipe no program has open for writing is waited for, in ms; 5 s by
   *  default. Long enough for `writer > pipe &` started just before; then it is a problem. */
  readonly pipeWriterWait?: number;
}

export const READ_CHUNK_BYTES = 256 * 1024;
/** The least content judged by the binary check, however few bytes a pipe delivers at once. */
const SNIFF_BYTES = 1024;
const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;
const DEFAULT_PIPE_WRITER_WAIT = 5000;
/** How often a named pipe is looked at while no program has it open for writing. */
const PIPE_POLL_MS = 50;
/** What one read of a pipe can return: Linux pipes hold 64 KiB by default. */
const PIPE_READ_BYTES = 64 * 1024;

/** Reads the inputs one after another, each rotated set oldest first (`orderInputs`; other
 *  inputs keep the given order), pulling as the consumer asks. */
export async function* readInputs(
  paths: readonly string[],
  options: ReadOptions = {},
): AsyncGenerator<InputItem> {
  const ordered = orderInputs(paths);
  const twins = compressedTwins(ordered, existsSync);

  for (const path of ordered) {
    const plain = twins.get(path);
    if (plain === undefined) yield* readInput(path, options);
    else yield twinWarning(path, plain);
  }
}

/** A compressed copy left out for its plain twin (`compressedTwins`): read once, said so. */
function twinWarning(name: string, plain: string): LineWarning {
  const message =
    `Left out: the same rotated copy as ${plain}, which is read (logrotate compresses a copy ` +
    'into a new file and removes the plain one after it)';
  return { kind: 'warning', input: { name }, line: 1, message };
}

/** Content chunks of one opened input and what is known about it. */
interface ContentSource {
  readonly input: InputInfo;
  readonly isGzip: boolean;
  /** Byte offset in the content of the first chunk. */
  readonly startOffset: number;
  readonly chunks: AsyncIterable<Buffer>;
  /** Known once `chunks` has ended: bytes after the gzip stream were left unread. */
  hasTrailingData(): boolean;
  /** A plain file's size when it was opened: reading less means it was cut while read. */
  readonly sizeAtOpen?: number;
  bytesRead(): number;
  close(): Promise<void>;
}

async function* readInput(name: string, options: ReadOptions): AsyncGenerator<InputItem> {
  const start = options.startOffsets?.get(name) ?? 0;
  const source = await openInput(name, start, options);

  if (source instanceof MxtriageError) {
    yield { kind: 'problem', input: { name }, error: source };
    return;
  }

  const holdsLastLine =
    options.holdUnfinishedLine === true && name !== '-' && !source.isGzip && !isRotatedCopy(name);

  try {
    yield* readContent(source, {
      firstLine: start > 0 ? (options.startLines?.get(name) ?? 0) + 1 : 1,
      maxLineLength: options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH,
      holdsLastLine,
      ...(options.marker === undefined ? {} : { marker: options.marker }),
    });
  } finally {
    await source.close();
  }
}

async function openInput(
  name: string,
  start: number,
  options: ReadOptions,
): Promise<ContentSource | MxtriageError> {
  if (name === '-') {
    return openStream(options.stdin ?? process.stdin, { name }, 0);
  }

  const planned =
    options.startOffsets instanceof PlannedStarts ? options.startOffsets.takeFile(name) : undefined;

  if (planned === undefined && (await isPipe(name))) {
    return openPipe(name, options.pipeWriterWait ?? DEFAULT_PIPE_WRITER_WAIT);
  }

  return openFile(name, start, planned);
}

async function isPipe(name: string): Promise<boolean> {
  return stat(name).then(
    (stats) => stats.isFIFO(),
    () => false,
  );
}

/**
 * A named pipe, or an anonymous one by its path (`<(zcat x.gz)` gives `/dev/fd/63`), read once a
 * program has it open for writing, like stdin. Opening a named pipe the usual way waits until a
 * program opens it for writing, forever if none does, and no later input would be read. So it
 * is opened without waiting, and looked at for `writerWait` ms: a read that would block means
 * a writer is there.
 */
async function openPipe(name: string, writerWait: number): Promise<ContentSource | MxtriageError> {
  let fd: number;

  try {
    fd = await promisify(openFd)(name, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return describeOpenError(name, error);
  }

  let head: Buffer | undefined;
  let stats: Stats;

  try {
    stats = await promisify(fstat)(fd);
    head = await waitForWriter(fd, writerWait);
  } catch (error) {
    await promisify(closeFd)(fd);
    return describeOpenError(name, error);
  }

  if (head === undefined) {
    await promisify(closeFd)(fd);
    return noWriterError(name, writerWait);
  }

  return streamPipe(fd, head, { name, mtime: stats.mtimeMs });
}

/** What the pipe held when a writer was found; `undefined` when none came within `wait` ms. */
async function waitForWriter(fd: number, wait: number): Promise<Buffer | undefined> {
  const isAnonymous = await isAnonymousPipe(fd);
  const deadline = Date.now() + wait;
  const buffer = Buffer.alloc(PIPE_READ_BYTES);

  for (;;) {
    const bytes = await readWithoutWaiting(fd, buffer);

    if (bytes === undefined) {
      return Buffer.alloc(0);
    }

    // Nothing, and no writer: none came yet, or every writer has gone. An anonymous pipe gets
    // no new writer: it is at its end, empty.
    if (bytes > 0 || isAnonymous) {
      return buffer.subarray(0, bytes);
    }

    if (Date.now() >= deadline) {
      return undefined;
    }

    await sleep(PIPE_POLL_MS);
  }
}

/** Linux names an anonymous pipe's descriptor `pipe:[inode]`; elsewhere pipes count as named. */
async function isAnonymousPipe(fd: number): Promise<boolean> {
  return readlink(`/proc/self/fd/${fd}`).then(
    (target) => target.startsWith('pipe:'),
    () => false,
  );
}

/** Bytes read, 0 when no program has the pipe open for writing; `undefined` when one has and
 *  the pipe is empty (the read would wait). */
async function readWithoutWaiting(fd: number, buffer: Buffer): Promise<number | undefined> {
  try {
    const { bytesRead } = await promisify(readFd)(fd, buffer, 0, buffer.length, null);
    return bytesRead;
  } catch (error) {
    if (errorCode(error) === 'EAGAIN') return undefined;
    throw error;
  }
}

/** The pipe read as a socket, which waits for data without tying up a thread; it owns `fd`. */
async function streamPipe(
  fd: number,
  head: Buffer,
  input: InputInfo,
): Promise<ContentSource | MxtriageError> {
  const socket = new Socket({ fd, readable: true, writable: false });

  if (head.length > 0) {
    socket.unshift(head);
  }

  try {
    return await openStream(socket, input, 0);
  } catch (error) {
    socket.destroy();
    return describeOpenError(input.name, error);
  }
}

function noWriterError(name: string, wait: number): MxtriageError {
  const within = `no program opened it for writing within ${wait / 1000} s`;
  const message = `Nothing to read from the named pipe ${name}: ${within}`;
  return new MxtriageError('INPUT_UNREADABLE', message);
}

async function openFile(
  name: string,
  start: number,
  planned: FileHandle | undefined,
): Promise<ContentSource | MxtriageError> {
  let handle: FileHandle;

  try {
    handle = planned ?? (await open(name, 'r'));
  } catch (error) {
    return describeOpenError(name, error);
  }

  try {
    return await openHandle(handle, name, start);
  } catch (error) {
    await handle.close();
    return describeOpenError(name, error);
  }
}

async function openHandle(
  handle: FileHandle,
  name: string,
  start: number,
): Promise<ContentSource | MxtriageError> {
  const stats = await handle.stat();
  const input = { name, mtime: stats.mtimeMs };

  if (stats.isDirectory()) {
    await handle.close();
    return new MxtriageError('INPUT_DIRECTORY', `Is a directory, not a log file: ${name}`);
  }

  if (!stats.isFile()) {
    // A pipe or device cannot seek: read it like stdin, from its start.
    const stream = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
    return openStream(stream, input, 0);
  }

  return openRegularFile(handle, input, stats, start);
}

/** A gzip header up to its MTIME field. */
const GZIP_HEAD_BYTES = 8;

async function openRegularFile(
  handle: FileHandle,
  input: InputInfo,
  stats: Stats,
  start: number,
): Promise<ContentSource> {
  const head = Buffer.alloc(GZIP_HEAD_BYTES);
  const { bytesRead } = await handle.read(head, 0, GZIP_HEAD_BYTES, 0);
  const isGzipped = isGzip(head.subarray(0, bytesRead));
  // A copy made without keeping times (cp, rsync without -t, a restore) has a new mtime; the
  // gzip header keeps the old one, which year-less stamps are placed by.
  const recorded = gzipMtime(head.subarray(0, bytesRead));
  const withTime =
    recorded !== undefined && recorded < stats.mtimeMs ? { ...input, mtime: recorded } : input;
  // Gzip has no random access: it is read from its start and the content skipped.
  const rawStart = isGzipped ? 0 : Math.min(start, stats.size);
  const stream = handle.createReadStream({
    start: rawStart,
    highWaterMark: READ_CHUNK_BYTES,
    autoClose: false,
  });
  const counter = { bytes: rawStart };
  const raw = countBytes(stream, counter);

  return {
    input: withTime,
    isGzip: isGzipped,
    startOffset: isGzipped ? start : rawStart,
    ...(isGzipped ? {} : { sizeAtOpen: stats.size }),
    ...contentOf(raw, isGzipped, start),
    bytesRead: () => counter.bytes,
    close: () => handle.close(),
  };
}

async function openStream(
  stream: NodeJS.ReadableStream,
  input: InputInfo,
  start: number,
): Promise<ContentSource> {
  const iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const head = await readHead(iterator);
  const counter = { bytes: 0 };
  const raw = countBytes(replay(head, iterator), counter);
  const isGzipped = isGzip(head);

  return {
    input,
    isGzip: isGzipped,
    startOffset: start,
    ...contentOf(raw, isGzipped, 0),
    bytesRead: () => counter.bytes,
    close: async () => {
      await iterator.return?.();
    },
  };
}

/** The first bytes of a stream, enough to recognise gzip (a pipe may deliver one byte). */
async function readHead(iterator: AsyncIterator<Buffer | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;

  while (length < 2) {
    const next = await iterator.next();

    if (next.done === true) {
      break;
    }

    const part = toBuffer(next.value);
    parts.push(part);
    length += part.length;
  }

  return Buffer.concat(parts, length);
}

async function* replay(
  head: Buffer,
  iterator: AsyncIterator<Buffer | string>,
): AsyncGenerator<Buffer> {
  if (head.length > 0) {
    yield head;
  }

  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
    yield toBuffer(next.value);
  }
}

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

async function* countBytes(
  chunks: AsyncIterable<Buffer>,
  counter: { bytes: number },
): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    counter.bytes += chunk.length;
    yield chunk;
  }
}

/** The content of raw input: the input itself, or when it is gzip, decompressed from `start`. */
function contentOf(
  raw: AsyncIterable<Buffer>,
  isGzipped: boolean,
  start: number,
): Pick<ContentSource, 'chunks' | 'hasTrailingData'> {
  if (!isGzipped) {
    return { chunks: raw, hasTrailingData: () => false };
  }

  let hasTrailingData = false;
  const onTrailingData = () => {
    hasTrailingData = true;
  };
  const chunks = skipBytes(gunzip(raw, { onTrailingData }), start);
  return { chunks, hasTrailingData: () => hasTrailingData };
}

async function* skipBytes(chunks: AsyncIterable<Buffer>, count: number): AsyncGenerator<Buffer> {
  let left = count;

  for await (const chunk of chunks) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }

    yield left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
  }
}

async function* readContent(
  source: ContentSource,
  options: {
    readonly firstLine: number;
    readonly maxLineLength: number;
    readonly holdsLastLine: boolean;
    readonly marker?: LineMarker;
  },
): AsyncGenerator<InputItem> {
  const { maxLineLength, marker } = options;
  const splitter = createLineSplitter({
    maxLineLength,
    startOffset: source.startOffset,
    ...(marker === undefined ? {} : { marker }),
  });
  let nextLine = options.firstLine;
  let isFirst = true;
  let endOffset = source.startOffset;

  try {
    for await (const chunk of withFirstBlock(source.chunks, SNIFF_BYTES)) {
      if (isFirst && looksBinary(chunk)) {
        yield problemOf(source, binaryError(source.input.name));
        return;
      }

      isFirst = false;
      const split = splitter.push(chunk);
      yield* itemsOf(source, split, nextLine, maxLineLength);
      nextLine += split.lines.length;
      endOffset = split.endOffset;
    }
  } catch (error) {
    // Every line before the error has been delivered; an unfinished last line is not a line.
    yield problemOf(source, describeReadError(source, error, nextLine - 1));
    return;
  }

  // A held last line is no fault of the log: the next run reads it whole, so nothing is said.
  if (!options.holdsLastLine) {
    const last = splitter.finish();
    yield* itemsOf(source, last, nextLine, maxLineLength);
    nextLine += last.lines.length;
    endOffset = last.endOffset;

    if (last.nulsAtEnd !== undefined) {
      yield nulsAtEndWarning(source.input, nextLine - 1, last.nulsAtEnd);
    }
  }

  if (nextLine === options.firstLine) {
    // An empty input (or nothing new since a saved offset) was still read: say so with an
    // empty batch, so it is listed among the inputs read.
    yield emptyBatch(source, nextLine, endOffset);
  }

  if (source.hasTrailingData()) {
    yield trailingDataWarning(source.input, nextLine - 1);
  }

  // Under `--state` (a held last line) the next run reads the rest from the rotated copy.
  const size = source.sizeAtOpen;
  if (!options.holdsLastLine && size !== undefined && source.bytesRead() < size) {
    yield shrunkWarning(source, nextLine - 1, size);
  }
}

/** The chunks with the first one at least `size` bytes, unless the content is shorter. */
async function* withFirstBlock(
  chunks: AsyncIterable<Buffer>,
  size: number,
): AsyncGenerator<Buffer> {
  const head: Buffer[] = [];
  let length = 0;

  for await (const chunk of chunks) {
    if (length >= size) {
      yield chunk;
      continue;
    }

    head.push(chunk);
    length += chunk.length;

    if (length >= size) {
      yield head.length === 1 ? chunk : Buffer.concat(head, length);
    }
  }

  if (length > 0 && length < size) {
    yield Buffer.concat(head, length);
  }
}

function* itemsOf(
  source: ContentSource,
  split: SplitChunk,
  firstLine: number,
  maxLineLength: number,
): Generator<InputItem> {
  if (split.lines.length === 0) {
    return;
  }

  const { input } = source;
  const bytesRead = source.bytesRead();
  const lines = split.lines;
  const batch: LineBatch =
    input.name === '-'
      ? { kind: 'lines', input, lines, firstLine, bytesRead }
      : { kind: 'lines', input, lines, firstLine, endOffset: split.endOffset, bytesRead };

  // Warnings about the batch's lines come first: what is wrong with a line is told before it.
  for (const { index, count } of split.nulsRemoved ?? []) {
    const message = `${nulBytes(count)} removed before the line`;
    yield { kind: 'warning', input, line: firstLine + index, message };
  }

  for (const index of split.cut) {
    const message = `Line longer than ${maxLineLength} characters: cut to ${maxLineLength}`;
    yield { kind: 'warning', input, line: firstLine + index, message };
  }

  if (split.invalidUtf8 !== -1) {
    const message =
      'Invalid UTF-8 replaced by U+FFFD ' +
      '(later lines of this input with invalid UTF-8 are not reported)';
    yield { kind: 'warning', input, line: firstLine + split.invalidUtf8, message };
  }

  yield split.marks === undefined ? batch : { ...batch, marks: split.marks };
}

function emptyBatch(source: ContentSource, firstLine: number, endOffset: number): LineBatch {
  const { input } = source;
  const bytesRead = source.bytesRead();
  return input.name === '-'
    ? { kind: 'lines', input, lines: [], firstLine, bytesRead }
    : { kind: 'lines', input, lines: [], firstLine, endOffset, bytesRead };
}

function nulsAtEndWarning(input: InputInfo, lastLine: number, count: number): LineWarning {
  // Room a crash left zero-filled after the last line: no line is lost, but it is damage.
  const message = `${nulBytes(count)} after the last line ignored`;
  return { kind: 'warning', input, line: Math.max(lastLine, 1), message };
}

function nulBytes(count: number): string {
  return count === 1 ? '1 NUL byte' : `${count} NUL bytes`;
}

function trailingDataWarning(input: InputInfo, lastLine: number): LineWarning {
  // gzip does the same: it reads every member and warns about what follows them.
  const message = 'Trailing data after the gzip stream ignored';
  return { kind: 'warning', input, line: Math.max(lastLine, 1), message };
}

function shrunkWarning(source: ContentSource, lastLine: number, size: number): LineWarning {
  const message =
    `The file shrank while it was read (${source.bytesRead()} of the ${size} bytes it had ` +
    "when opened): it was cut, as logrotate's copytruncate does, and the rest was not read";
  return { kind: 'warning', input: source.input, line: Math.max(lastLine, 1), message };
}

function problemOf(source: ContentSource, error: MxtriageError): InputProblem {
  return { kind: 'problem', input: source.input, error };
}

function binaryError(name: string): MxtriageError {
  return new MxtriageError('INPUT_BINARY', `Not a text log (binary data): ${name}`);
}

function describeOpenError(name: string, error: unknown): MxtriageError {
  const code = errorCode(error);

  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new MxtriageError('INPUT_MISSING', `No such file: ${name}`, { cause: error });
  }

  if (code === 'EACCES' || code === 'EPERM') {
    return new MxtriageError('INPUT_UNREADABLE', `Permission denied: ${name}`, { cause: error });
  }

  if (code === 'EISDIR') {
    const message = `Is a directory, not a log file: ${name}`;
    return new MxtriageError('INPUT_DIRECTORY', message, { cause: error });
  }

  return new MxtriageError('INPUT_UNREADABLE', `Cannot read ${name}: ${messageOf(error)}`, {
    cause: error,
  });
}

function describeReadError(source: ContentSource, error: unknown, lastLine: number): MxtriageError {
  const { name } = source.input;
  const code = errorCode(error);

  if (!source.isGzip || code === undefined || !code.startsWith('Z_')) {
    return new MxtriageError('INPUT_UNREADABLE', `Cannot read ${name}: ${messageOf(error)}`, {
      cause: error,
    });
  }

  const where = lastLine === 0 ? 'before the first line' : `after line ${lastLine}`;
  // zlib reports a stream that ends early as Z_BUF_ERROR ("unexpected end of file").
  const what =
    code === 'Z_BUF_ERROR'
      ? `gzip data is truncated ${where}`
      : `gzip data is corrupt ${where} (${messageOf(error)})`;
  return new MxtriageError('INPUT_CORRUPT', `Cannot read ${name}: ${what}`, { cause: error });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
