// One run at a time per state file: two overlapping runs would report the same lines, and the
// slower one would save its older offsets over the other's.

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
 * Takes `STATE.lock`: created only if it does not exist, holding our process id. A lock left by
 * a run that is no longer running (killed, or the machine stopped) is taken over; one held by
 * a running process is an error that names it.
 */
export async function lockState(statePath: string): Promise<StateLock> {
  const path = `${statePath}.lock`;
  const ours = `${process.pid}\n`;

  // The second attempt follows the take-over of a stale lock.
  for (let attempt = 0; ; attempt += 1) {
    if (await createLock(path, ours)) return { path, release: () => releaseLock(path, ours) };

    const held = await readFile(path, 'utf8').catch(() => '');
    const pid = Number.parseInt(held, 10);
    if (attempt > 0 || isRunningOther(pid)) throw heldError(statePath, path, pid);
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

/** Whether `pid` is a running process other than this one. In a container each run may get the
 *  same pid, so a lock with our own pid was left by an earlier run. */
function isRunningOther(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;

  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: running, as another user.
    return errorCode(error) === 'EPERM';
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
