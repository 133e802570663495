// The Debian programs the DNS lab runs, found on PATH or in the sbin folders a non-root PATH
// often leaves out.

import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Program → the Debian package that installs it (named in the message when it is missing). */
export const LAB_PROGRAMS = {
  nsd: 'nsd',
  unbound: 'unbound',
  'ldns-keygen': 'ldnsutils',
  'ldns-signzone': 'ldnsutils',
  'ldns-key2ds': 'ldnsutils',
  dig: 'bind9-dnsutils',
} as const;

export type LabProgram = keyof typeof LAB_PROGRAMS;

const EXTRA_FOLDERS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

/** The program's full path, or undefined when it is not installed. */
export function findProgram(name: LabProgram): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_FOLDERS];

  for (const folder of folders) {
    if (folder === '') continue;

    const candidate = path.join(folder, name);
    if (isExecutable(candidate)) return candidate;
  }

  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
