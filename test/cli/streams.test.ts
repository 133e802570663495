import test from 'ava';
import {
  chmodSync,
  lstatSync,
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
import { writeFileAtomically } from '../../src/cli/streams.js';

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

test('writing into a folder that does not exist says which folder', async (t) => {
  const path = join(DIR, 'missing', 'report.html');
  await t.throwsAsync(writeFileAtomically(path, 'x'), {
    message: `Cannot write ${path}: the folder ${join(DIR, 'missing')} does not exist`,
  });
});
