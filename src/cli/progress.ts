import { statSync } from 'node:fs';
import type { LineBatch } from '../input/read-inputs.js';

/** Inputs smaller than this finish before a progress bar would help. */
const LARGE_INPUT_BYTES = 64 * 1024 * 1024;

export interface Progress {
  update(batch: LineBatch): void;
  stop(): void;
}

/**
 * A progress bar on stderr, shown only when stderr is a terminal and the inputs are large.
 * It counts bytes read (compressed bytes for .gz) against the inputs' total size.
 */
export async function createProgress(paths: readonly string[]): Promise<Progress | undefined> {
  if (!process.stderr.isTTY) return undefined;
  const sizes = new Map(paths.map((path) => [path, fileSize(path)]));
  const total = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  if (total < LARGE_INPUT_BYTES) return undefined;

  const { default: cliProgress } = await import('cli-progress');

  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'reading {bar} {percentage}% | {lines} lines | {file}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const done = new Map<string, number>();
  let lines = 0;
  // The bar hides the cursor and turns line wrapping off; an interrupt must give them back.
  const interrupted = (signal: NodeJS.Signals) => {
    bar.stop();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  bar.start(total, 0, { lines: 0, file: '' });

  return {
    update(batch) {
      lines += batch.lines.length;
      done.set(batch.input.name, batch.bytesRead);
      const read = [...done.values()].reduce((sum, bytes) => sum + bytes, 0);
      bar.update(Math.min(read, total), { lines, file: batch.input.name });
    },
    stop() {
      bar.stop();
      process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    },
  };
}

function fileSize(path: string): number {
  try {
    return path === '-' ? 0 : statSync(path).size;
  } catch {
    return 0;
  }
}
