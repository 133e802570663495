import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Stats } from 'node:fs';
import { open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { escapeRawControls, stripControl } from '../classify/text.js';
import { MxtriageError } from '../errors.js';

let guarded = false;

/**
 * When the reader of our output goes away (`mxtriage ... | head`), stop quietly with exit 0:
 * the reader got what it wanted. Any other failure to write stdout (a full disk: ENOSPC) ends
 * the run with one line and exit 1, before a state file could record lines as reported.
 */
export function installPipeGuard(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    writeError(`mxtriage: Cannot write the output to stdout: ${error.code ?? error.message}`);
    process.exit(1);
  });
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

/** A message for people on stderr, control characters removed. */
export function writeError(message: string): void {
  process.stderr.write(`${stripControl(message)}\n`);
}

/** Writes text to stdout, waiting for the stream to drain. */
export async function writeStdout(text: string): Promise<void> {
  await writeChunk(process.stdout, text);
}

/** Columns a table on stdout is drawn for when stdout is not a terminal (a pipe, a file). */
const FALLBACK_COLUMNS = 160;

/** The width of the terminal on stdout, or {@link FALLBACK_COLUMNS} when it is none. */
export function terminalWidth(): number {
  return process.stdout.columns ?? FALLBACK_COLUMNS;
}

export async function writeChunk(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * Writes the whole output to FILE atomically: a temporary file in the same folder, flushed,
 * then renamed over FILE, so a reader (node_exporter, a browser) never sees half a report. An
 * existing FILE keeps its mode and owner, and a symbolic link is followed, not replaced.
 */
export async function writeFileAtomically(
  path: string,
  text: string | Iterable<string>,
): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const existing = await stat(target).catch(() => undefined);
  if (existing !== undefined && !existing.isFile() && !existing.isDirectory()) {
    // A device, FIFO or terminal (`-o /dev/stdout`, `-o /dev/null`) is written to in place:
    // renaming a file over it would replace /dev/null with a regular file.
    return writeInPlace(path, text);
  }

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
    throw new MxtriageError(
      'OUTPUT',
      `Cannot write ${path}: ${describeWriteError(error, target)}`,
      {
        cause: error,
      },
    );
  }
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
    const message = `Cannot write ${path}: ${describeWriteError(error, path)}`;
    throw new MxtriageError('OUTPUT', message, { cause: error });
  }
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

function describeWriteError(error: unknown, target: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `the folder ${dirname(target)} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') return `no permission to write in ${dirname(target)}`;
  if (code === 'EISDIR') return 'it is a directory';
  return code ?? (error as Error).message;
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
