// Start offsets bound to the files they were planned for.

import type { FileHandle } from 'node:fs/promises';

/**
 * Where to start reading each input, with the file the plan looked at when it chose the
 * offset: an offset means something only in that file. Reading takes the file opened at
 * planning instead of opening the path again, so that a logrotate between planning and reading
 * (a slow earlier input, a month of gzip copies) cannot make the offset apply to the new file
 * that has the name by then.
 */
export class PlannedStarts extends Map<string, number> {
  readonly #files = new Map<string, FileHandle>();

  /** Reading of `path` starts at `offset` in the file open as `file`. */
  plan(path: string, offset: number, file: FileHandle): void {
    this.set(path, offset);
    this.#files.set(path, file);
  }

  /** The file planned for `path`, handed out once; whoever takes it closes it. */
  takeFile(path: string): FileHandle | undefined {
    const file = this.#files.get(path);
    this.#files.delete(path);
    return file;
  }

  /** Closes the planned files that were not taken. */
  async closeUntaken(): Promise<void> {
    const files = [...this.#files.values()];
    this.#files.clear();
    await Promise.all(files.map((file) => file.close().catch(() => undefined)));
  }
}
