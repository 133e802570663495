import { randomBytes } from 'node:crypto';
import { statSync, type Stats } from 'node:fs';
import { open, readlink, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { escapeRawControls, visibleLines } from '../classify/text.js';
import { MxtriageError } from '../errors.js';
import { describeWriteFailure } from '../write-errors.js';

let guarded = false;

/** Set once the reader of stdout went away (EPIPE): output written after that is dropped. */
let readerGone = false;

/**
 * When the reader of our output goes away (`mxtriage ... | head`), the rest of the output is
 * dropped and the run goes on to its end as if it had been read: the exit code is the one the
 * whole output would have had (1 for an input that could not be read, 3 for a `--fail-on`
 * match, else 0), and `summary --state` saves its state, or a `| head` in a cron job would
 * have every run read the same lines again. Any other failure to write stdout (a full disk)
 * ends the run with one line and exit 1, before a state file could record lines as reported.
 */
export function installPipeGuard(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      readerGone = true;
      return;
    }

    writeError(`mxtriage: Cannot write the output to stdout: ${describeWriteFailure(error)}`);
    process.exit(1);
  });
}

/**
 * Whether the reader of stdout went away: output still to be made need not be made. A failed
 * write marks the stream at once, but tells its listeners only on the next tick, which a loop
 * of writes that never wait (awaiting promises already settled) would not reach.
 */
export function isStdoutReaderGone(): boolean {
  const error = process.stdout.errored as NodeJS.ErrnoException | null;
  return readerGone || error?.code === 'EPIPE';
}

/** Output is handed to stdout in pieces of about this size. */
const OUTPUT_BATCH_BYTES = 64 * 1024;

/**
 * A stream that joins small writes of JSON text (one NDJSON line each) into pieces of about
 * 64 KiB before passing them on: stdout to a file or /dev/null is written synchronously, one
 * system call per write, which for a line per record cost a tenth of a whole run. The controls
 * JSON.stringify leaves raw are escaped on the way (`escapeRawControls`).
 */
export function createBatcher(): Transform {
  let pending: Buffer[] = [];
  let size = 0;

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending.push(chunk);
      size += chunk.length;
      if (size < OUTPUT_BATCH_BYTES) return done();
      const batch = Buffer.concat(pending, size);
      pending = [];
      size = 0;
      done(null, escapedJson(batch));
    },
    flush(done) {
      done(null, size === 0 ? undefined : escapedJson(Buffer.concat(pending, size)));
    },
  });
}

/** Whole lines of JSON text, escaped; only decoded when a byte that can begin a raw control
 *  is there (DEL, or the first byte of C1 and of the bidirectional controls in UTF-8). */
function escapedJson(batch: Buffer): Buffer {
  if (batch.indexOf(0x7f) === -1 && batch.indexOf(0xc2) === -1 && batch.indexOf(0xe2) === -1) {
    return batch;
  }

  return Buffer.from(escapeRawControls(batch.toString('utf8')), 'utf8');
}

/** A message for people on stderr, its control characters shown as escapes: removed, a name
 *  in it could read as another one (`exa\u202emple.com` as `example.com`). */
export function writeError(message: string): void {
  process.stderr.write(`${visibleLines(message)}\n`);
}

/** Writes text to stdout, waiting for the stream to drain; nothing once its reader is gone. */
export async function writeStdout(text: string | Uint8Array): Promise<void> {
  if (isStdoutReaderGone()) return;
  if (!process.stdout.write(text)) await drained(process.stdout);
}

/**
 * A stream to pipe output into stdout with: it waits while stdout is full, and drops what
 * comes once the reader went away, so that the run still reaches its end and its exit code.
 */
export function createStdoutSink(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      writeStdout(chunk).then(() => done(), done);
    },
  });
}

/**
 * Resolves when the stream takes writes again or is gone. A stream destroyed by an error
 * emits no `drain` later, so waiting for that alone could wait forever.
 */
function drained(stream: Writable): Promise<void> {
  if (stream.destroyed) return Promise.resolve();

  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      stream.off('drain', onDrain).off('close', onDrain).off('error', settle);
      // The reader going away is no failure; any other error ends the run (`installPipeGuard`).
      if (error === undefined || isStdoutReaderGone()) resolve();
      else reject(error);
    };
    const onDrain = (): void => settle();
    stream.on('drain', onDrain).on('close', onDrain).on('error', settle);
  });
}

/** Columns a table on stdout is drawn for when stdout is not a terminal (a pipe, a file). */
const FALLBACK_COLUMNS = 160;

/** The width of the terminal on stdout, or {@link FALLBACK_COLUMNS} when it is none. */
export function terminalWidth(): number {
  return process.stdout.columns ?? FALLBACK_COLUMNS;
}

/**
 * Writes the whole output to FILE atomically: a temporary file in the same directory, flushed,
 * then renamed over FILE, so a reader (node_exporter, a browser) never sees half a report. An
 * existing FILE keeps its mode and owner. A symbolic link is followed, not replaced: the file
 * it points at is written, in that file's directory, also when it does not exist yet.
 */
export async function writeFileAtomically(
  path: string,
  text: string | Iterable<string>,
): Promise<void> {
  const existing = await statUnlessMissing(path);
  if (existing !== undefined && !existing.isFile() && !existing.isDirectory()) {
    // A device, FIFO or terminal (`-o /dev/stdout`, `-o /dev/null`) is written to in place:
    // renaming a file over it would replace /dev/null with a regular file.
    return writeInPlace(path, text);
  }

  const target =
    existing === undefined ? await missingLinkTarget(path) : await realpath(path).catch(() => path);
  const temporary = join(
    dirname(target),
    `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(temporary, 'w', existing?.mode ?? 0o644);
    try {
      await writeAll(handle, text);
      if (existing !== undefined) await keepOwnerAndMode(handle, existing);
      await handle.sync();
    } finally {
      await handle.close();
    }

    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw outputError(path, error, dirname(target));
  }
}

/** What FILE is now (through links), or `undefined` when it does not exist yet. */
async function statUnlessMissing(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw outputError(path, error, dirname(path));
  }
}

/** Links followed in a chain before giving up, as the kernel does (Linux: 40). */
const MAX_LINKS = 40;

/**
 * Where a FILE that does not exist is to be made: FILE itself, or, when it is a symbolic link
 * to a file not made yet (an exporter's path linked ahead of the first run), the file at the
 * end of its links, so that the link is kept.
 */
async function missingLinkTarget(path: string): Promise<string> {
  let current = path;
  for (let hop = 0; hop < MAX_LINKS; hop += 1) {
    const link = await readlink(current).catch(() => undefined);
    if (link === undefined) return current;
    current = resolve(dirname(current), link);
  }

  return current;
}

async function writeInPlace(path: string, text: string | Iterable<string>): Promise<void> {
  try {
    const handle = await open(path, 'w');
    try {
      await writeAll(handle, text);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw outputError(path, error);
  }
}

/** `Cannot write FILE: ...`, in words; `directory` where a file was being made in it. */
function outputError(path: string, error: unknown, directory?: string): MxtriageError {
  const reason = describeWriteFailure(error, directory);
  return new MxtriageError('OUTPUT', `Cannot write ${path}: ${reason}`, { cause: error });
}

/** The text, or its pieces joined into writes of about 64 KiB: a report of every group of a
 *  large log need never be one string. */
async function writeAll(handle: FileHandle, text: string | Iterable<string>): Promise<void> {
  if (typeof text === 'string') {
    await handle.writeFile(text);
    return;
  }

  for (const batch of batched(text)) await handle.write(batch);
}

/** Small pieces of text joined into pieces of about 64 KiB, one write each. */
export function* batched(pieces: Iterable<string>): Generator<string> {
  let pending = '';
  for (const piece of pieces) {
    pending += piece;
    if (pending.length < OUTPUT_BATCH_BYTES) continue;
    yield pending;
    pending = '';
  }

  if (pending.length > 0) yield pending;
}

async function keepOwnerAndMode(handle: FileHandle, existing: Stats): Promise<void> {
  await handle.chmod(existing.mode & 0o7777);
  // Only root may give a file away; for others the owner already is the one running us.
  await handle.chown(existing.uid, existing.gid).catch(() => undefined);
}

/** Output to `-o FILE` (atomically) or to stdout; pieces are written one after another. */
export async function emit(
  text: string | Iterable<string>,
  output: string | undefined,
): Promise<void> {
  if (output !== undefined && output !== '-') {
    await writeFileAtomically(output, text);
  } else if (typeof text === 'string') {
    await writeStdout(text);
  } else {
    for (const batch of batched(text)) await writeStdout(batch);
  }
}

/**
 * `-o FILE` as given, or a usage error when it names no file: `-o ''` (a shell variable left
 * empty), or a path that ends in a directory (`out/`, `.`, `..`).
 */
export function checkOutputPath(path: string | undefined): string | undefined {
  if (path === undefined || path === '-') return path;
  checkFileName('-o', path);
  if (kindOf(path) === 'directory') {
    throw new MxtriageError('USAGE', `Invalid -o value: ${path}: a directory; give a file name`);
  }

  return path;
}

/**
 * `--state FILE` as given, or a usage error, before any log is read: a name that is no file
 * (as for `-o`), `-` (a state is read and written back, which a pipe cannot be), or an
 * existing directory.
 */
export function checkStatePath(path: string | undefined): string | undefined {
  if (path === undefined) return path;
  if (path === '-') {
    throw new MxtriageError(
      'USAGE',
      'Invalid --state value: -: give a file name (a state is read and written back, which a ' +
        'pipe cannot be)',
    );
  }

  checkFileName('--state', path);
  const kind = kindOf(path);
  if (kind === 'directory') {
    throw new MxtriageError(
      'USAGE',
      `Invalid --state value: ${path}: a directory; give a file name`,
    );
  }

  // A named pipe or a device would hang the run or lose the state: it is read and replaced.
  if (kind === 'other') {
    throw new MxtriageError(
      'USAGE',
      `Invalid --state value: ${path}: not a regular file; give a file name`,
    );
  }

  return path;
}

function checkFileName(flag: string, path: string): string {
  if (path === '' || path.endsWith('/') || ['.', '..'].includes(basename(path))) {
    const shown = path === '' ? '""' : path;
    throw new MxtriageError('USAGE', `Invalid ${flag} value: ${shown}: give a file name`);
  }

  return path;
}

/** What is at `path` (through links): nothing yet, a regular file, a directory, or another
 *  kind (a named pipe, a device, a socket). */
function kindOf(path: string): 'none' | 'file' | 'directory' | 'other' {
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) return 'directory';
    return stats.isFile() ? 'file' : 'other';
  } catch {
    return 'none';
  }
}
