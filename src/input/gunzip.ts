// Decompresses gzip data (RFC 1952) one member at a time. Node's gunzip stream is not used: it
// takes any bytes after a member for the start of another and fails on them, dropping content
// it had decompressed, where gzip warns and keeps everything; and an error in its stream drops
// content not yet read from it.

import * as zlib from 'node:zlib';

import { isGzip } from './sniff.js';

export interface GunzipOptions {
  /** Called when bytes that are neither a gzip member nor zero padding follow the last
   *  member; they are left unread. */
  readonly onTrailingData?: () => void;
}

/** Raw input read in pieces, with bytes looked at before they are taken. */
interface ByteReader {
  /** At least `count` bytes when the input has them, not taken. */
  peek(count: number): Promise<Buffer>;
  /** Up to `limit` bytes; `undefined` at the end of the input. */
  read(limit: number): Promise<Buffer | undefined>;
  skip(count: number): void;
  /** Puts bytes back in front of the input. */
  unread(bytes: Buffer | undefined): void;
  close(): Promise<void>;
}

/** Counts kept while a member is inflated, to check against its trailer. */
interface MemberChecks {
  crc: number;
  size: number;
}

/** What one write to the inflater gave. */
interface Step {
  readonly content: Buffer[];
  readonly error?: Error;
}

/** Raw bytes written to the inflater at a time: bounds the content held between two reads
 *  (deflate expands at most about 1000 times). */
const PIECE_BYTES = 16 * 1024;
const OUTPUT_BYTES = 64 * 1024;
/** RFC 1952 §2.3.1 header flags. */
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const RESERVED_FLAGS = 0xe0;
const DEFLATE = 8;
/** `zlib.crc32` came with Node 20.15; on older Node the length check stands alone. */
const crc32 = (zlib as Partial<typeof zlib>).crc32;

/**
 * The content of gzip data, every member in order. Content decompressed before an error is
 * yielded before the error is thrown. Errors carry zlib's codes and messages: `Z_BUF_ERROR`
 * when the data ends early, `Z_DATA_ERROR` when it is damaged.
 */
export async function* gunzip(
  raw: AsyncIterable<Buffer>,
  options: GunzipOptions = {},
): AsyncGenerator<Buffer> {
  const input = createByteReader(raw);

  try {
    do {
      yield* readMember(input);
    } while (await hasNextMember(input, options));
  } finally {
    await input.close();
  }
}

async function* readMember(input: ByteReader): AsyncGenerator<Buffer> {
  input.skip(await readHeaderLength(input));
  const checks = yield* inflateBody(input);
  const trailer = await input.peek(8);

  if (trailer.length < 8) {
    throw gzipError('Z_BUF_ERROR', 'unexpected end of file');
  }

  // The trailer holds the CRC-32 of the content, then its length modulo 2^32.
  if (crc32 !== undefined && trailer.readUInt32LE(0) !== checks.crc) {
    throw gzipError('Z_DATA_ERROR', 'incorrect data check');
  }

  if (trailer.readUInt32LE(4) !== checks.size % 2 ** 32) {
    throw gzipError('Z_DATA_ERROR', 'incorrect length check');
  }

  input.skip(8);
}

async function readHeaderLength(input: ByteReader): Promise<number> {
  let bytes = await input.peek(10);

  for (;;) {
    const length = measureHeader(bytes);

    if (length !== -1) {
      return length;
    }

    const more = await input.peek(bytes.length + 1);

    if (more.length === bytes.length) {
      throw gzipError('Z_BUF_ERROR', 'unexpected end of file');
    }

    bytes = more;
  }
}

/** The length of the member header at the start of `bytes`; -1 when it goes on past them. */
function measureHeader(bytes: Buffer): number {
  if (bytes.length < 10) {
    return -1;
  }

  if (!isGzip(bytes)) {
    throw gzipError('Z_DATA_ERROR', 'incorrect header check');
  }

  if (bytes[2] !== DEFLATE) {
    throw gzipError('Z_DATA_ERROR', 'unknown compression method');
  }

  const flags = bytes[3]!;

  if ((flags & RESERVED_FLAGS) !== 0) {
    throw gzipError('Z_DATA_ERROR', 'unknown header flags set');
  }

  let end = 10;

  if ((flags & FEXTRA) !== 0) {
    end = bytes.length < end + 2 ? -1 : end + 2 + bytes.readUInt16LE(end);
  }

  end = (flags & FNAME) !== 0 ? afterZero(bytes, end) : end;
  end = (flags & FCOMMENT) !== 0 ? afterZero(bytes, end) : end;
  // The header CRC is skipped, not checked: gzip itself never writes one.
  end = (flags & FHCRC) !== 0 && end !== -1 ? end + 2 : end;
  return end <= bytes.length ? end : -1;
}

/** The position after the zero byte that ends a name or comment starting at `start`. */
function afterZero(bytes: Buffer, start: number): number {
  const zero = start === -1 ? -1 : bytes.indexOf(0, start);
  return zero === -1 ? -1 : zero + 1;
}

async function* inflateBody(input: ByteReader): AsyncGenerator<Buffer, MemberChecks> {
  const engine = zlib.createInflateRaw({ chunkSize: OUTPUT_BYTES });
  const checks: MemberChecks = { crc: 0, size: 0 };

  try {
    for (;;) {
      const piece = await input.read(PIECE_BYTES);
      const before = engine.bytesWritten;
      const step = piece === undefined ? await finish(engine) : await write(engine, piece);
      yield* checked(step.content, checks);

      if (step.error !== undefined) {
        throw step.error;
      }

      // Input left over means the deflate data ended inside this piece.
      const consumed = engine.bytesWritten - before;

      if (piece === undefined || consumed < piece.length) {
        input.unread(piece?.subarray(consumed));
        return checks;
      }
    }
  } finally {
    engine.destroy();
  }
}

function* checked(content: readonly Buffer[], checks: MemberChecks): Generator<Buffer> {
  for (const part of content) {
    checks.crc = crc32?.(part, checks.crc) ?? 0;
    checks.size += part.length;
    yield part;
  }
}

function write(engine: zlib.InflateRaw, piece: Buffer): Promise<Step> {
  return collect(engine, (settle) => {
    engine.write(piece, (error) => settle(error ?? undefined));
  });
}

/** Ends the input; the engine fails when the deflate data is not complete. */
function finish(engine: zlib.InflateRaw): Promise<Step> {
  return collect(engine, (settle) => {
    engine.once('end', () => settle(undefined));
    engine.end();
  });
}

/**
 * Runs one action on the engine and gathers the content it gives, reading as it comes so the
 * engine never waits for room. Content read before an error is kept with the error.
 */
function collect(
  engine: zlib.InflateRaw,
  act: (settle: (error: Error | undefined) => void) => void,
): Promise<Step> {
  return new Promise((resolve) => {
    const content: Buffer[] = [];
    let isSettled = false;
    const drain = () => {
      for (let part = engine.read() as Buffer | null; part !== null; part = engine.read()) {
        content.push(part);
      }
    };
    const settle = (error: Error | undefined) => {
      if (isSettled) {
        return;
      }

      isSettled = true;
      drain();
      engine.off('readable', drain).off('error', settle);
      resolve(error === undefined ? { content } : { content, error });
    };

    engine.on('readable', drain).once('error', settle);
    act(settle);
  });
}

/**
 * Whether another member follows. Zero bytes after the last member are padding, as gzip and
 * zlib take them; anything else is reported and left unread, as gzip does.
 */
async function hasNextMember(input: ByteReader, options: GunzipOptions): Promise<boolean> {
  const next = await input.peek(2);

  if (next.length === 0) {
    return false;
  }

  if (isGzip(next)) {
    return true;
  }

  if (!(await isZeroPadding(input))) {
    options.onTrailingData?.();
  }

  return false;
}

async function isZeroPadding(input: ByteReader): Promise<boolean> {
  for (let bytes = await input.read(PIECE_BYTES); bytes; bytes = await input.read(PIECE_BYTES)) {
    if (bytes.some((byte) => byte !== 0)) {
      return false;
    }
  }

  return true;
}

function gzipError(code: 'Z_BUF_ERROR' | 'Z_DATA_ERROR', message: string): Error {
  return Object.assign(new Error(message), { code });
}

function createByteReader(raw: AsyncIterable<Buffer>): ByteReader {
  const iterator = raw[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  let isDone = false;

  return { peek, read, skip, unread, close };

  async function peek(count: number): Promise<Buffer> {
    while (pending.length < count && !isDone) {
      const next = await iterator.next();
      isDone = next.done === true;

      if (!isDone) {
        pending = pending.length === 0 ? next.value : Buffer.concat([pending, next.value]);
      }
    }

    return pending;
  }

  async function read(limit: number): Promise<Buffer | undefined> {
    const bytes = await peek(1);

    if (bytes.length === 0) {
      return undefined;
    }

    pending = bytes.subarray(Math.min(limit, bytes.length));
    return bytes.subarray(0, limit);
  }

  function skip(count: number): void {
    pending = pending.subarray(count);
  }

  function unread(bytes: Buffer | undefined): void {
    if (bytes !== undefined && bytes.length > 0) {
      pending = pending.length === 0 ? bytes : Buffer.concat([bytes, pending]);
    }
  }

  async function close(): Promise<void> {
    await iterator.return?.();
  }
}
