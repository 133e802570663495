import test from 'ava';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutputPath, writeFileAtomically } from '../../src/cli/streams.js';
import { MxtriageError } from '../../src/errors.js';

const DIR = mkdtempSync(join(tmpdir(), 'mxtriage-streams-'));

test.after.always(() => {
  rmSync(DIR, { recursive: true, force: true });
});

test('an atomic write replaces the content and leaves no temporary file', async (t) => {
  // A folder of its own: the other tests of this file write next door at the same time.
  const dir = mkdtempSync(join(DIR, 'atomic-'));
  const path = join(dir, 'report.md');
  await writeFileAtomically(path, 'first\n');
  await writeFileAtomically(path, 'second\n');
  t.is(readFileSync(path, 'utf8'), 'second\n');
  t.deepEqual(readdirSync(dir), ['report.md']);
});

test('an atomic write of pieces writes them all, in order, past the batch size', async (t) => {
  const dir = mkdtempSync(join(DIR, 'pieces-'));
  const path = join(dir, 'report.json');
  const pieces = Array.from({ length: 3000 }, (_, index) => `{"group": ${index}, "text": "ü"}\n`);
  await writeFileAtomically(path, pieces.values());

  t.is(readFileSync(path, 'utf8'), pieces.join(''));
  t.deepEqual(readdirSync(dir), ['report.json']);
});

test('an atomic write keeps the mode of the file it replaces', async (t) => {
  const path = join(DIR, 'metrics.prom');
  writeFileSync(path, 'old\n');
  chmodSync(path, 0o640);
  await writeFileAtomically(path, 'new\n');
  t.is(statSync(path).mode & 0o777, 0o640);
});

test('an atomic write through a symbolic link writes the file it points at', async (t) => {
  const real = join(DIR, 'real.prom');
  const link = join(DIR, 'link.prom');
  writeFileSync(real, 'old\n');
  symlinkSync(real, link);
  await writeFileAtomically(link, 'new\n');
  t.true(lstatSync(link).isSymbolicLink());
  t.is(readFileSync(real, 'utf8'), 'new\n');
});

test('writing into a directory that does not exist says which directory', async (t) => {
  const path = join(DIR, 'missing', 'report.html');
  await t.throwsAsync(writeFileAtomically(path, 'x'), {
    message: `Cannot write ${path}: the directory ${join(DIR, 'missing')} does not exist (create it: mkdir -p ${join(DIR, 'missing')})`,
  });
});

test('a symbolic link to a file not made yet is kept, and the file it names is made', async (t) => {
  const dir = mkdtempSync(join(DIR, 'dangling-'));
  const link = join(dir, 'mxtriage.prom');
  symlinkSync('metrics/current.prom', link);
  const metrics = join(dir, 'metrics');
  await t.throwsAsync(writeFileAtomically(link, 'new\n'), {
    message: `Cannot write ${link}: the directory ${metrics} does not exist (create it: mkdir -p ${metrics})`,
  });

  mkdirSync(metrics);
  await writeFileAtomically(link, 'new\n');
  t.true(lstatSync(link).isSymbolicLink());
  t.is(readFileSync(join(metrics, 'current.prom'), 'utf8'), 'new\n');
  t.deepEqual(readdirSync(metrics), ['current.prom']);
});

test("a write through a link goes to its target's directory, keeping its mode", async (t) => {
  const linkDir = mkdtempSync(join(DIR, 'links-'));
  const realDir = mkdtempSync(join(DIR, 'real-'));
  const real = join(realDir, 'report.html');
  writeFileSync(real, 'old\n');
  chmodSync(real, 0o600);
  const link = join(linkDir, 'report.html');
  symlinkSync(real, link);

  await writeFileAtomically(link, 'new\n');
  t.true(lstatSync(link).isSymbolicLink());
  t.is(readFileSync(real, 'utf8'), 'new\n');
  t.is(statSync(real).mode & 0o777, 0o600);
  t.deepEqual(readdirSync(linkDir), ['report.html']);
  t.deepEqual(readdirSync(realDir), ['report.html']);
});

const saysInWords = test.macro({
  async exec(t, path: () => string, reason: (path: string) => string) {
    const given = path();
    await t.throwsAsync(writeFileAtomically(given, 'x\n'), {
      instanceOf: MxtriageError,
      message: `Cannot write ${given}: ${reason(given)}`,
    });
  },
  title: (words = '') => `a failed write says why in words: ${words}`,
});

test(
  'a full disk',
  saysInWords,
  () => '/dev/full',
  () => 'the disk is full',
);

test(
  'a file where a directory should be',
  saysInWords,
  () => {
    writeFileSync(join(DIR, 'plain.txt'), '');
    return join(DIR, 'plain.txt', 'sub', 'report.md');
  },
  () => `a part of the path is not a directory: ${join(DIR, 'plain.txt')}`,
);

test(
  'a directory',
  saysInWords,
  () => DIR,
  () => 'it is a directory',
);

if (existsSync('/proc/self')) {
  test(
    'a directory that exists but takes no new files',
    saysInWords,
    () => '/proc/report.md',
    () => 'files cannot be created in /proc',
  );
}

test('-o with no file name is a usage error', (t) => {
  for (const value of ['', 'out/', '.', 'reports/..']) {
    const error = t.throws(() => checkOutputPath(value), { instanceOf: MxtriageError });
    t.is(error?.code, 'USAGE');
    t.regex(error?.message ?? '', /^Invalid -o value: .+: give a file name$/);
  }

  t.is(checkOutputPath('report.md'), 'report.md');
  t.is(checkOutputPath('-'), '-');
  t.is(checkOutputPath(undefined), undefined);
});
