// One run at a time per state file: two overlapping runs would report the same lines, and the
// slower one would save its older offsets over the other's.

import { readFileSync } from 'node:fs';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';

import { MxtriageError } from '../errors.js';

/** A run's hold on its state file, taken with `lockState`. */
export interface StateLock {
  /** `STATE.lock`, beside the state file. */
  readonly path: string;
  /** Removes the lock file, when it is still ours. */
  release(): Promise<void>;
}

/**
 * Takes `STATE.lock`: created only if it does not exist, holding our process id and, on Linux,
 * which process that is (`processIdentity`). A lock left by a run that is no longer running
 * (killed, or the machine stopped) is taken over, also when its pid now belongs to another
 * program; one held by a running run is an error that names it.
 */
export async function lockState(statePath: string): Promise<StateLock> {
  const path = `${statePath}.lock`;
  const identity = processIdentity(process.pid);
  const ours = identity === undefined ? `${process.pid}\n` : `${process.pid} ${identity}\n`;

  // The second attempt follows the take-over of a stale lock.
  for (let attempt = 0; ; attempt += 1) {
    if (await createLock(path, ours)) return { path, release: () => releaseLock(path, ours) };

    const held = await readFile(path, 'utf8').catch(() => '');
    const [pidText = '', heldIdentity] = held.trim().split(' ');
    const pid = Number.parseInt(pidText, 10);
    if (attempt > 0 || isRunningOther(pid, heldIdentity)) throw heldError(statePath, path, pid);
    await takeOverStale(path, held);
  }
}

/** Creates the lock file with our pid in it; false when it exists. */
async function createLock(path: string, content: string): Promise<boolean> {
  let handle;

  try {
    handle = await open(path, 'wx', 0o644);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw lockError(path, error);
  }

  try {
    await handle.writeFile(content, 'utf8');
  } catch (error) {
    await handle.close();
    await unlink(path).catch(() => undefined);
    throw lockError(path, error);
  }

  await handle.close();
  return true;
}

/**
 * Whether `pid` is a running process other than this one, and the one that wrote the lock. In
 * a container each run may get the same pid, so a lock with our own pid was left by an earlier
 * run; after a reboot the pid of a killed run may belong to any program, which its identity
 * (boot and start time) tells apart. A lock without one (or without `/proc`) trusts the pid.
 */
function isRunningOther(pid: number, identity: string | undefined): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;

  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: running, as another user.
    if (errorCode(error) !== 'EPERM') return false;
  }

  const now = identity === undefined ? undefined : processIdentity(pid);
  return now === undefined || now === identity;
}

/**
 * Which process `pid` is, beyond its number: the boot it runs in and the time it started, in
 * clock ticks since that boot (field 22 of `/proc/PID/stat`, proc(5)). Undefined without
 * `/proc`. The command name in field 2 may hold spaces and parentheses: fields are counted
 * after its closing one.
 */
function processIdentity(pid: number): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const started = fields[19];
    return boot === '' || started === undefined ? undefined : `${boot}/${started}`;
  } catch {
    return undefined;
  }
}

/**
 * Moves a stale lock aside, in one step that only one of several runs can make. If what was
 * moved is no longer the stale lock (another run took it over first), it is put back.
 */
async function takeOverStale(path: string, stale: string): Promise<void> {
  const aside = `${path}.${process.pid}.stale`;

  try {
    await rename(path, aside);
  } catch {
    return;
  }

  const moved = await readFile(aside, 'utf8').catch(() => stale);
  if (moved !== stale) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function releaseLock(path: string, ours: string): Promise<void> {
  const content = await readFile(path, 'utf8').catch(() => undefined);
  if (content === ours) await unlink(path).catch(() => undefined);
}

function heldError(statePath: string, path: string, pid: number): MxtriageError {
  const holder = Number.isSafeInteger(pid) ? `process ${pid}` : 'another process';
  return new MxtriageError(
    'STATE',
    `State file ${statePath} is in use by another run: ${path} is held by ${holder}; ` +
      'if no mxtriage run is going on, remove the lock file',
  );
}

function lockError(path: string, error: unknown): MxtriageError {
  const reason = error instanceof Error ? error.message : String(error);
  return new MxtriageError('STATE', `Cannot create lock file ${path}: ${reason}`, {
    cause: error,
  });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
