import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWriteFailure } from '../src/write-errors.js';

const DIR = mkdtempSync(join(tmpdir(), 'mxtriage-write-errors-'));

test.after.always(() => {
  rmSync(DIR, { recursive: true, force: true });
});

/** An error as node:fs gives it: `code` and the negative `errno` of libuv. */
function systemError(code: string, errno: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, open`), { code, errno });
}

const words = test.macro({
  exec(t, error: NodeJS.ErrnoException, directory: string | undefined, expected: string) {
    t.is(describeWriteFailure(error, directory), expected);
  },
  title: (_given, error: NodeJS.ErrnoException, directory: string | undefined) =>
    `${error.code ?? ''} ${directory === undefined ? 'in place' : 'in a directory'} in words`,
});

test(words, systemError('EROFS', -30), '/srv/ro', '/srv/ro is on a read-only file system');
test(words, systemError('EROFS', -30), undefined, 'read-only file system');
test(words, systemError('EACCES', -13), '/var/lib/x', 'permission denied in /var/lib/x');
test(words, systemError('EPERM', -1), undefined, 'permission denied');
test(words, systemError('ENOSPC', -28), '/var/lib/x', 'the disk is full');
test(words, systemError('EDQUOT', -122), '/home/x', 'the disk quota is used up');
test(words, systemError('EISDIR', -21), '/tmp', 'it is a directory');
test(words, systemError('ENAMETOOLONG', -36), '/tmp', 'the name is too long');
test(words, systemError('EIO', -5), '/tmp', 'i/o error');

test('a missing directory is told from one that exists but takes no new files', (t) => {
  const missing = systemError('ENOENT', -2);
  t.is(
    describeWriteFailure(missing, join(DIR, 'none')),
    `the directory ${join(DIR, 'none')} does not exist (create it: mkdir -p ${join(DIR, 'none')})`,
  );
  t.is(describeWriteFailure(missing, DIR), `files cannot be created in ${DIR}`);
});

test('a file in the path where a directory should be is named', (t) => {
  const plain = join(DIR, 'plain.txt');
  writeFileSync(plain, '');
  const error = systemError('ENOTDIR', -20);
  t.is(
    describeWriteFailure(error, join(plain, 'a', 'b')),
    `a part of the path is not a directory: ${plain}`,
  );
});
