import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { stripControl } from '../classify/text.js';
import { MxtriageError } from '../errors.js';

let guarded = false;

/**
 * When the reader of our output goes away (`mxtriage ... | head`), stop quietly with exit 0:
 * the reader got what it wanted.
 */
export function installPipeGuard(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** A message for people on stderr, control characters removed. */
export function writeError(message: string): void {
  process.stderr.write(`${stripControl(message)}\n`);
}

/** Writes text to stdout, waiting for the stream to drain. */
export async function writeStdout(text: string): Promise<void> {
  await writeChunk(process.stdout, text);
}

export async function writeChunk(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * Writes the whole output to FILE atomically: a temporary file in the same folder, flushed,
 * then renamed over FILE, so a reader never sees half a report.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'w', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }

    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new MxtriageError('OUTPUT', `Cannot write ${path}: ${reason}`, { cause: error });
  }
}

/** Output to `-o FILE` (atomically) or to stdout. */
export async function emit(text: string, output: string | undefined): Promise<void> {
  if (output === undefined || output === '-') {
    await writeStdout(text);
  } else {
    await writeFileAtomically(output, text);
  }
}
