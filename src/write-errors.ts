// Why a file could not be written, in plain words. The report writer (`-o FILE`, stdout) and
// the state file writer share them, so one failure reads the same wherever it happens, and no
// message shows a raw code such as ENOSPC.

import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { getSystemErrorMap } from 'node:util';

type Describe = (directory: string | undefined) => string;

const WORDS: Readonly<Record<string, Describe>> = {
  ENOSPC: () => 'the disk is full',
  EDQUOT: () => 'the disk quota is used up',
  EROFS: (directory) =>
    directory === undefined
      ? 'read-only file system'
      : `${directory} is on a read-only file system`,
  EACCES: permissionDenied,
  EPERM: permissionDenied,
  EISDIR: () => 'it is a directory',
  ENOTDIR: notADirectory,
  ENOENT: missingDirectory,
  ENAMETOOLONG: () => 'the name is too long',
  ELOOP: () => 'too many symbolic links in the path',
};

/**
 * Plain words for a failure to write a file. `directory` is where a file was being created
 * (the atomic writers make a temporary file there and rename it); without it the failure is
 * of the file itself, written in place (a device, stdout). Codes not named here get the
 * system's own description of them, still without the code.
 */
export function describeWriteFailure(error: unknown, directory?: string): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const describe = typeof code === 'string' ? WORDS[code] : undefined;
  if (describe !== undefined) return describe(directory);

  const errno = (error as { errno?: unknown } | undefined)?.errno;
  const system = typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined;
  if (system !== undefined) return system;
  return error instanceof Error ? error.message : String(error);
}

function permissionDenied(directory: string | undefined): string {
  return directory === undefined ? 'permission denied' : `permission denied in ${directory}`;
}

/** Names the file in the way when it can be found: `-o report.txt/sub`. */
function notADirectory(directory: string | undefined): string {
  const part = directory === undefined ? undefined : deepestExisting(directory);
  const named = part === undefined || isDirectory(part) ? '' : `: ${part}`;
  return `a part of the path is not a directory${named}`;
}

function missingDirectory(directory: string | undefined): string {
  if (directory === undefined) return 'no such file';
  // A file system can refuse new files this way in a directory that exists (/proc).
  if (isDirectory(directory)) return `files cannot be created in ${directory}`;
  return `the directory ${directory} does not exist (create it: mkdir -p ${directory})`;
}

/** The path itself or its nearest ancestor that exists. */
function deepestExisting(path: string): string | undefined {
  for (let current = path; ; current = dirname(current)) {
    if (exists(current)) return current;
    if (dirname(current) === current) return undefined;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
