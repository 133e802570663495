// Some tests drive Debian programs that are not npm packages: headless Chromium, node_exporter
// and the DNS lab's servers. Where one is missing, its tests are skipped with a message on a
// developer's machine, but under CI they fail: `.ci/run` installs these packages, so a missing
// one there is a broken set-up, and a skip would let the run pass without checking anything.

import { accessSync, constants } from 'node:fs';
import type { TestFn } from 'ava';

/**
 * Whether the program at `path` can be run. Call it before declaring the tests that need it
 * and declare them with `test.skip` when it returns false: then under CI one failing test says
 * which Debian package to install, and elsewhere a warning says why the tests are skipped.
 */
export function requireProgram(test: TestFn, path: string, debianPackage: string): boolean {
  if (isExecutable(path)) return true;

  requirePrerequisite(test, path, `not installed (apt-get install ${debianPackage})`);
  return false;
}

/**
 * The same rule for a prerequisite that is more than one program (the DNS lab: several
 * programs and the right to bind port 53): `problem` says what is missing and how to get it.
 */
export function requirePrerequisite(test: TestFn, what: string, problem: string): void {
  if (isCi()) {
    test(`${what} is available under CI`, (t) => {
      t.fail(`Cannot run under CI: ${what}: ${problem}`);
    });
  } else {
    console.warn(`Skipping the tests that need ${what}: ${problem}`);
  }
}

/** `.ci/run` sets `CI=1`; like most CI services, an empty `CI` counts as unset. */
function isCi(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
