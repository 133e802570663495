// Container runtimes split a long line into pieces (Docker's json-file at 16 KiB, CRI's partial
// lines), one stream's pieces in order, but stdout and stderr interleaved. The pieces are joined
// here per stream, so that text at a split point never reads as a line of its own: not even
// after a line that grew past the maximum, whose later pieces are dropped up to its last one.

import type { Source } from '../model.js';

/** A container's line, joined from its pieces, with the first piece's time and place. */
export interface JoinedLine {
  readonly time: number;
  readonly source: Source;
  readonly text: string;
}

export interface PieceJoiner {
  /** Whether a line of `stream` has pieces kept, or is being dropped. */
  isOpen(stream: string): boolean;
  /**
   * One piece of a line of `stream`, `isLast` when it ends the line: the whole line when the
   * piece ends it, or when the line reaches `MAX_JOINED` (given out that long); else
   * `'pending'`, also for the dropped pieces of a line given out at its maximum.
   */
  add(
    stream: string,
    text: string,
    isLast: boolean,
    time: number,
    source: Source,
  ): JoinedLine | 'pending';
  /** Lines whose last piece never came, as far as they arrived, in input order. */
  flush(): JoinedLine[];
}

/** A joined line is given out at this length, as the line splitter cuts long lines, and the
 *  cut is told (`OnCut`), as the splitter warns of its cuts. */
export const MAX_JOINED = 64 * 1024;

/** The rest of a line given out at its maximum. */
const DROPPING = 'dropping';

interface OpenLine {
  readonly time: number;
  readonly source: Source;
  text: string;
}

/** Told of a line given out at `MAX_JOINED`, the rest of its pieces dropped. */
export type OnCut = (source: Source) => void;

/** One joiner per input: pieces that a log rotation put in two files are not joined. */
export function createPieceJoiner(onCut: OnCut = () => undefined): PieceJoiner {
  const open = new Map<string, OpenLine | typeof DROPPING>();

  return {
    isOpen: (stream) => open.has(stream),
    add(stream, text, isLast, time, source) {
      const kept = open.get(stream);
      if (kept === DROPPING) {
        if (isLast) open.delete(stream);
        return 'pending';
      }

      const line = kept ?? { time, source, text: '' };
      line.text += text;
      if (line.text.length >= MAX_JOINED) {
        if (isLast) open.delete(stream);
        else open.set(stream, DROPPING);
        if (line.text.length > MAX_JOINED || !isLast) onCut(line.source);
        return { ...line, text: line.text.slice(0, MAX_JOINED) };
      }

      if (isLast) {
        open.delete(stream);
        return line;
      }

      open.set(stream, line);
      return 'pending';
    },
    flush() {
      const lines = [...open.values()].filter((line) => line !== DROPPING);
      open.clear();
      return lines.sort((a, b) => a.source.line - b.source.line);
    },
  };
}
