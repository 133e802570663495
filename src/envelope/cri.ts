// The CRI container log format that Kubernetes nodes write (containerd, CRI-O): before each line
// a container wrote, the runtime's RFC 3339 stamp, the stream and a tag, `F` for a full line or
// `P` for a partial one that continues in the next line of the same stream.

import type { Source } from '../model.js';

/** A container's line as its runtime split it: the pieces joined, with the first one's stamp
 *  and place. */
export interface CriLine {
  readonly text: string;
  readonly time: number;
  readonly source: Source;
}

/** Joins partial lines, one per input. Pieces of one line that a log rotation put in two files
 *  are not joined: each input has its own parser and its own joiner. */
export interface CriJoiner {
  /**
   * A CRI line whose prefix `criContentStart` read at `prefix`, its text starting at `content`:
   * `'pending'` for a partial piece, now kept; the whole line when it ends pieces that came
   * before; `undefined` for a full line by itself, which the caller reads in place.
   */
  add(
    line: string,
    prefix: number,
    content: number,
    time: number,
    source: Source,
  ): CriLine | 'pending' | undefined;
  /** Lines whose full piece never came, joined as far as they arrived, in input order. */
  flush(): CriLine[];
}

interface PendingLine {
  readonly time: number;
  readonly source: Source;
  text: string;
}

const SPACE = 32;
const COLON = 58;
const LETTER_F = 70;
const LETTER_P = 80;
const LETTER_O = 111;
const LETTER_S = 115;
/** A partial line that grows past this is given out as far as it came, like a line the reader
 *  cuts at its 64 KiB maximum; its rest, up to its full piece, is then read as a line of its
 *  own, and counted as not understood. */
const MAX_LINE_LENGTH = 64 * 1024;

/**
 * After the stamp and its space, `stdout F ` or `stderr P `: the index of the container's text,
 * or -1. As kubelet's `parseCRILog` reads it, the tag field is tags separated by `:`, and the
 * first one says whether the line is partial. A few character codes, no copy.
 */
export function criContentStart(line: string, pos: number): number {
  const isStream =
    line.charCodeAt(pos) === LETTER_S &&
    (line.startsWith('tdout ', pos + 1) || line.startsWith('tderr ', pos + 1));
  const tag = line.charCodeAt(pos + 7);

  if (!isStream || (tag !== LETTER_F && tag !== LETTER_P)) {
    return -1;
  }

  const next = line.charCodeAt(pos + 8);

  if (next === SPACE) {
    return pos + 9;
  }

  const tagsEnd = next === COLON ? line.indexOf(' ', pos + 9) : -1;
  return tagsEnd === -1 ? -1 : tagsEnd + 1;
}

export function createCriJoiner(): CriJoiner {
  // The pieces of one line come in order on their stream, but stdout and stderr interleave.
  const pending: (PendingLine | undefined)[] = [undefined, undefined];

  return {
    add(line, prefix, content, time, source) {
      const stream = line.charCodeAt(prefix + 3) === LETTER_O ? 0 : 1;
      const isPartial = line.charCodeAt(prefix + 7) === LETTER_P;
      const open = pending[stream];

      if (open === undefined) {
        return isPartial ? keep(stream, { time, source, text: line.slice(content) }) : undefined;
      }

      open.text += line.slice(content);

      if (isPartial && open.text.length <= MAX_LINE_LENGTH) {
        return 'pending';
      }

      pending[stream] = undefined;
      return open;
    },
    flush() {
      const lines = pending.filter((piece) => piece !== undefined);
      pending.fill(undefined);
      return lines.sort((a, b) => a.source.line - b.source.line);
    },
  };

  function keep(stream: number, piece: PendingLine): 'pending' {
    pending[stream] = piece;
    return 'pending';
  }
}
