import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import anyTest, { type TestFn } from 'ava';

import { MxtriageError } from '../../src/errors.js';
import { lockState } from '../../src/input/state-lock.js';

const test = anyTest as TestFn<{ dir: string; state: string }>;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A run of another process that takes the lock and holds it until it is killed. */
const HOLD_LOCK = [
  "const { lockState } = await import('./src/input/state-lock.ts');",
  'await lockState(process.argv[1]);',
  "process.stdout.write('locked\\n');",
  'setInterval(() => {}, 1000);',
].join('\n');

test.beforeEach(async (t) => {
  t.context.dir = await mkdtemp(join(tmpdir(), 'mxtriage-lock-'));
  t.context.state = join(t.context.dir, 'state.json');
});

test.afterEach.always(async (t) => {
  await rm(t.context.dir, { recursive: true, force: true });
});

const BOOT_ID = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** What a lock of process `pid` holds: the pid, this boot and a start time in clock ticks. */
const lockShape = (pid: number) => new RegExp(`^${pid} ${BOOT_ID}/\\d+\\n$`);

test('the lock is a file beside the state holding our pid, removed on release', async (t) => {
  const lock = await lockState(t.context.state);

  t.is(lock.path, `${t.context.state}.lock`);
  t.regex(await readFile(lock.path, 'utf8'), lockShape(process.pid));
  await lock.release();
  t.deepEqual(await readdir(t.context.dir), []);
});

test('a lock held by a running process is refused, naming the lock and the process', async (t) => {
  const { state } = t.context;
  // The parent of this test worker is running, and is not this process.
  await writeFile(`${state}.lock`, `${process.ppid}\n`);

  const error = await t.throwsAsync(lockState(state), { instanceOf: MxtriageError });
  t.is(error?.code, 'STATE');
  t.is(
    error?.message,
    `State file ${state} is in use by another run: ${state}.lock is held by process ` +
      `${process.ppid}; if no mxtriage run is going on, remove the lock file`,
  );
  t.is(await readFile(`${state}.lock`, 'utf8'), `${process.ppid}\n`, 'the lock is left alone');
});

test('a lock of another running run is refused, and taken over once it is killed', async (t) => {
  const { state } = t.context;
  const holder = spawn(process.execPath, ['--import', 'tsx', '-e', HOLD_LOCK, state], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [ready] = (await once(holder.stdout, 'data')) as [Buffer];
  t.is(ready.toString(), 'locked\n');

  const error = await t.throwsAsync(lockState(state), { instanceOf: MxtriageError });
  t.true(error?.message.includes(`is held by process ${holder.pid};`));

  holder.kill('SIGKILL');
  await once(holder, 'exit');
  const lock = await lockState(state);
  t.regex(await readFile(lock.path, 'utf8'), lockShape(process.pid));
  await lock.release();
});

const takesOver = test.macro({
  async exec(t, content: string) {
    const { state } = t.context;
    await writeFile(`${state}.lock`, content);

    const lock = await lockState(state);
    t.regex(await readFile(lock.path, 'utf8'), lockShape(process.pid));
    await lock.release();
    t.deepEqual(await readdir(t.context.dir), []);
  },
  title: (given = '') => `a lock left by ${given} is taken over`,
});

// Linux's pid_max is at most 2^22: no process has this id.
test('a process that is gone', takesOver, '999999999\n');
// In a container every run may get the same pid.
test('an earlier run with our own pid', takesOver, `${process.pid}\n`);
test('a run stopped before it wrote its pid', takesOver, '');
// After a reboot the pid of a killed run may belong to another program: its start differs.
test('a run whose pid now belongs to another program', takesOver, `${process.ppid} ${BOOT_ID}/1\n`);

test('a lock that was taken over by another run is not removed by our release', async (t) => {
  const lock = await lockState(t.context.state);
  await writeFile(lock.path, `${process.ppid}\n`);

  await lock.release();
  t.is(await readFile(lock.path, 'utf8'), `${process.ppid}\n`);
});
