// Puts each rotated log set in time order, oldest first, as logrotate names them.

/** A rotated copy: `base.N` or `base-DATE`, either one possibly compressed. DATE is logrotate's
 *  `dateext` in its default `-%Y%m%d`, with the hour or as `%s`, or in the common `dateformat
 *  -%Y-%m-%d` (also with `-%H`, and minutes and seconds). */
const DATE = String.raw`\d{8,14}|\d{4}-\d{2}-\d{2}(?:-\d{2}){0,3}`;
const ROTATION = new RegExp(
  String.raw`^(.+?)(?:\.(\d{1,4})|-(${DATE}))(?:\.(?:gz|bz2|xz|zst|lz4|Z))?$`,
);

const COMPRESSED = /\.(?:gz|bz2|xz|zst|lz4|Z)$/;

interface RotatedName {
  readonly path: string;
  readonly base: string;
  /** 0 for date-suffixed copies, 1 for numbered copies, 2 for the live (base) file. */
  readonly rank: number;
  /** Within a rank, smaller sorts first (older). */
  readonly age: number;
}

/**
 * Orders the inputs so each rotated set (`mail.log.2.gz mail.log.1 mail.log`,
 * `mail.log-20261130 mail.log-20261201.gz mail.log`) is read oldest first. Sets keep the
 * position of their first member in the given list; stdin (`-`) stays where it was given.
 */
export function orderInputs(paths: readonly string[]): string[] {
  const sets = new Map<string, RotatedName[]>();
  let stdinCount = 0;

  for (const path of paths) {
    const name = path === '-' ? stdinName(stdinCount++) : parseRotatedName(path);
    const set = sets.get(name.base);

    if (set === undefined) {
      sets.set(name.base, [name]);
    } else {
      set.push(name);
    }
  }

  return [...sets.values()].flatMap((set) => set.sort(compareAge).map((name) => name.path));
}

/**
 * Rotated copies given both plain and compressed (`mail.log.2` and `mail.log.2.gz`), each
 * compressed one to its plain twin. logrotate compresses a copy into a new file and removes
 * the plain one after it, so both are there while it works, or when it failed: they hold the
 * same lines, and only the plain one is whole.
 */
export function compressedTwins(
  paths: readonly string[],
  isPresent: (path: string) => boolean,
): Map<string, string> {
  const given = new Set(paths);
  const twins = new Map<string, string>();

  for (const path of paths) {
    const plain = path.replace(COMPRESSED, '');
    // A plain copy named but gone (compressing has finished) leaves its compressed one to read.
    if (plain === path || !given.has(plain) || !isRotatedCopy(plain)) continue;
    if (isPresent(plain)) twins.set(path, plain);
  }

  return twins;
}

/** Whether a path is a copy logrotate made (`mail.log.1`, `mail.log-20261201.gz`): it is no
 *  longer written to, unlike the live log. */
export function isRotatedCopy(path: string): boolean {
  return path !== '-' && parseRotatedName(path).rank !== 2;
}

function stdinName(index: number): RotatedName {
  // A base no file path can have, so every `-` is a set of its own.
  return { path: '-', base: `\0stdin${index}`, rank: 2, age: 0 };
}

function parseRotatedName(path: string): RotatedName {
  const match = ROTATION.exec(path);

  if (match === null) {
    return { path, base: path, rank: 2, age: 0 };
  }

  const [, base = path, number, date] = match;

  if (number !== undefined) {
    // logrotate's numbered copies: a higher number is an older copy.
    return { path, base, rank: 1, age: -Number(number) };
  }

  // logrotate's `dateext` copies (`-%Y%m%d`, `-%Y%m%d%H`, `-%s`, `-%Y-%m-%d`): a later date
  // is newer.
  return { path, base, rank: 0, age: Number(date?.replaceAll('-', '')) };
}

function compareAge(a: RotatedName, b: RotatedName): number {
  return a.rank - b.rank || a.age - b.age;
}
