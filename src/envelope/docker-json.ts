// Docker's json-file log driver: one JSON object per line the container wrote, `{"log":
// "...\n","stream":"stdout","time":"..."}`. Docker splits a line longer than 16 KiB into
// pieces, and only the last piece's `log` ends with a newline: the pieces are joined here, so
// that text at a split point never reads as a line of its own.

import type { Source } from '../model.js';

/** A container's line, joined from its pieces, with the first piece's time and place. */
export interface DockerLine {
  readonly text: string;
  readonly time: number;
  readonly source: Source;
}

export interface DockerJoiner {
  /** The whole line when `log` ends one (with the pieces before it), else `'pending'`. */
  add(log: string, time: number, source: Source): DockerLine | 'pending';
  /** A line whose last piece never came, as far as it arrived. */
  flush(): DockerLine | undefined;
}

/** A joined line is given out at this length, as the line splitter cuts long lines. */
const MAX_JOINED = 64 * 1024;

/** One joiner per input: pieces cut by a log rotation are not joined across files. */
export function createDockerJoiner(): DockerJoiner {
  let pending: { text: string; time: number; source: Source } | undefined;

  return {
    add(log, time, source) {
      const line = pending === undefined ? { text: log, time, source } : pending;
      if (pending !== undefined) line.text += log;

      const isWhole = log.endsWith('\n') || line.text.length >= MAX_JOINED;
      pending = isWhole ? undefined : line;
      return isWhole ? line : 'pending';
    },
    flush() {
      const line = pending;
      pending = undefined;
      return line;
    },
  };
}
