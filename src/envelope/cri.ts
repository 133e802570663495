// The CRI container log format that Kubernetes nodes write (containerd, CRI-O): before each line
// a container wrote, the runtime's RFC 3339 stamp, the stream and a tag, `F` for a full line or
// `P` for a partial one that continues in the next line of the same stream.

const SPACE = 32;
const COLON = 58;
const LETTER_F = 70;
const LETTER_P = 80;
const LETTER_O = 111;
const LETTER_S = 115;

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

/** The stream of a CRI line whose prefix `criContentStart` read at `prefix`. */
export function criStream(line: string, prefix: number): 'stdout' | 'stderr' {
  return line.charCodeAt(prefix + 3) === LETTER_O ? 'stdout' : 'stderr';
}

/** Whether that line is a partial one (`P`), continued in the next line of its stream. */
export function isCriPartial(line: string, prefix: number): boolean {
  return line.charCodeAt(prefix + 7) === LETTER_P;
}
