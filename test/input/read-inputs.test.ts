import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { constants, gunzipSync, gzipSync } from 'node:zlib';

import anyTest, { type TestFn } from 'ava';

import {
  readInputs,
  type InputItem,
  type InputProblem,
  type LineBatch,
  type LineWarning,
  READ_CHUNK_BYTES,
} from '../../src/input/read-inputs.js';

const test = anyTest as TestFn<{ dir: string }>;
const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));
const MODULE = fileURLToPath(new URL('../../src/input/read-inputs.ts', import.meta.url));
const POSTFIX_LINE =
  'Dec  3 18:32:52 mailhost postfix/pickup[415]: AFF09186110: uid=0 from=<labuser@sender.test>';

test.beforeEach(async (t) => {
  t.context.dir = await mkdtemp(join(tmpdir(), 'mxtriage-read-'));
});

test.afterEach.always(async (t) => {
  await rm(t.context.dir, { recursive: true, force: true });
});

test('the reader delivers every line of a real Postfix log in order', async (t) => {
  const path = join(SAMPLES, 'postfix-mail.log');
  const expected = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
  const items = await collect([path]);

  t.deepEqual(linesOf(items), expected);
  t.is(batchesOf(items)[0]?.firstLine, 1);
  t.is(batchesOf(items).at(-1)?.endOffset, Buffer.byteLength(expected.join('\n')) + 1);
});

test('the reader numbers lines across batches and reads inputs one after another', async (t) => {
  const first = await write(t.context.dir, 'a.log', numbered('a', 100000));
  const second = await write(t.context.dir, 'b.log', numbered('b', 3));
  const items = await collect([first, second]);
  const batches = batchesOf(items);

  t.true(batches.length > 2);
  t.deepEqual(
    linesOf(items),
    [...numbered('a', 100000).split('\n'), 'b1', 'b2', 'b3'].filter(Boolean),
  );

  for (const batch of batches) {
    t.is(batch.lines[0], `${batch.input.name.endsWith('a.log') ? 'a' : 'b'}${batch.firstLine}`);
  }
});

test('a rotated set given in any order is read oldest first', async (t) => {
  const { dir } = t.context;
  const live = await write(dir, 'mail.log', 'newest\n');
  const older = await write(dir, 'mail.log.1', 'older\n');
  const oldest = await write(dir, 'mail.log.2.gz', gzipSync('oldest\n'));

  t.deepEqual(linesOf(await collect([older, live, oldest])), ['oldest', 'older', 'newest']);
});

test('gzip is recognised by its magic bytes, not by its name', async (t) => {
  const text = `${POSTFIX_LINE}\nsecond line\n`;
  const gzipNamedLog = await write(t.context.dir, 'mail.log', gzipSync(text));
  const plainNamedGz = await write(t.context.dir, 'mail.log.2.gz', text);
  const items = await collect([gzipNamedLog, plainNamedGz]);

  t.deepEqual(linesOf(items), [POSTFIX_LINE, 'second line', POSTFIX_LINE, 'second line']);
  t.is(problemsOf(items).length, 0);
});

test('a gzip file of several members is read to its end', async (t) => {
  const members = Buffer.concat([gzipSync('first\n'), gzipSync('second\n')]);
  const path = await write(t.context.dir, 'mail.log.1.gz', members);

  t.deepEqual(linesOf(await collect([path])), ['first', 'second']);
});

test('the reader pulls: stopping after the first batch leaves the rest of the file unread', async (t) => {
  const path = await write(t.context.dir, 'big.log', numbered('line ', 1_000_000));
  let first: LineBatch | undefined;

  for await (const item of readInputs([path])) {
    first = item.kind === 'lines' ? item : undefined;
    break;
  }

  t.is(first?.firstLine, 1);
  t.is(first?.bytesRead, READ_CHUNK_BYTES);
});

test('a truncated gzip file gives the lines before the damage, then a problem, then the next input', async (t) => {
  const whole = gzipSync(numbered('line ', 100000));
  const truncated = await write(
    t.context.dir,
    'mail.log.2.gz',
    whole.subarray(0, whole.length / 2),
  );
  const next = await write(t.context.dir, 'mail.log', 'after\n');
  const items = await collect([truncated, next]);
  const delivered = linesOf(items).slice(0, -1);
  const [problem] = problemsOf(items);
  const readable = gunzipSync(whole.subarray(0, whole.length / 2), {
    finishFlush: constants.Z_SYNC_FLUSH,
  });

  t.true(delivered.length > 1000);
  t.is(delivered.length, readable.toString().split('\n').length - 1);
  t.deepEqual(delivered, numbered('line ', delivered.length).split('\n').slice(0, -1));
  t.is(problem?.error.code, 'INPUT_CORRUPT');
  t.is(
    problem?.error.message,
    `Cannot read ${truncated}: gzip data is truncated after line ${delivered.length}`,
  );
  t.is(items.at(-1)?.kind, 'lines');
  t.deepEqual(linesOf(items).at(-1), 'after');
});

test('trailing data after a complete gzip stream is a warning, and every line is read', async (t) => {
  const text = await readFile(join(SAMPLES, 'postfix-mail.log'), 'utf8');
  const garbage = Buffer.concat([gzipSync(text), Buffer.from('trailing garbage\n')]);
  const path = await write(t.context.dir, 'tg.gz', garbage);
  const items = await collect([path]);

  t.deepEqual(linesOf(items), text.split('\n').slice(0, -1));
  t.deepEqual(problemsOf(items), []);
  t.deepEqual(
    warningsOf(items).map((item) => [item.line, item.message]),
    [[467, 'Trailing data after the gzip stream ignored']],
  );
  t.is(items.at(-1)?.kind, 'warning');
});

test('a last line without a newline is read before trailing data; zero padding is no warning', async (t) => {
  const unfinished = Buffer.concat([gzipSync('first\nlast'), Buffer.from('\r\n\u00ff junk')]);
  const padded = Buffer.concat([gzipSync('padded\n'), Buffer.alloc(512)]);
  const items = await collect([
    await write(t.context.dir, 'unfinished.gz', unfinished),
    await write(t.context.dir, 'padded.gz', padded),
  ]);

  t.deepEqual(linesOf(items), ['first', 'last', 'padded']);
  t.deepEqual(
    warningsOf(items).map((item) => [item.input.name.endsWith('unfinished.gz'), item.line]),
    [[true, 2]],
  );
  t.deepEqual(problemsOf(items), []);
});

test('a damaged second gzip member is corrupt after every line of the first', async (t) => {
  const first = gzipSync(numbered('line ', 5000));
  const damaged = Buffer.concat([first, Buffer.from([0x1f, 0x8b, 0xff, 0xff]), Buffer.alloc(20)]);
  const path = await write(t.context.dir, 'mail.log.1.gz', damaged);
  const items = await collect([path]);
  const [problem] = problemsOf(items);

  t.deepEqual(linesOf(items), numbered('line ', 5000).split('\n').slice(0, -1));
  t.is(
    problem?.error.message,
    `Cannot read ${path}: gzip data is corrupt after line 5000 (unknown compression method)`,
  );
});

test('corrupt gzip data is reported as corrupt after the last good line', async (t) => {
  const whole = gzipSync(numbered('line ', 1000));
  const damaged = Buffer.from(whole);
  damaged.fill(0xff, 20, 60);
  const path = await write(t.context.dir, 'mail.log.1.gz', damaged);
  const [problem] = problemsOf(await collect([path]));

  t.is(problem?.error.code, 'INPUT_CORRUPT');
  t.regex(problem?.error.message ?? '', /^Cannot read .*mail\.log\.1\.gz: gzip data is corrupt /);
});

test('missing files, directories and binary files are problems of their own input only', async (t) => {
  const { dir } = t.context;
  const missing = join(dir, 'nope.log');
  const directory = join(dir, 'logs');
  await mkdir(directory);
  const binary = await write(dir, 'core', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 10]));
  const good = await write(dir, 'mail.log', `${POSTFIX_LINE}\n`);
  const items = await collect([missing, directory, binary, good]);

  t.deepEqual(
    problemsOf(items).map((item) => [item.input.name, item.error.code, item.error.message]),
    [
      [missing, 'INPUT_MISSING', `No such file: ${missing}`],
      [directory, 'INPUT_DIRECTORY', `Is a directory, not a log file: ${directory}`],
      [binary, 'INPUT_BINARY', `Not a text log (binary data): ${binary}`],
    ],
  );
  t.deepEqual(linesOf(items), [POSTFIX_LINE]);
});

test('a stray NUL byte does not make a text log binary; its line is read with the rest', async (t) => {
  const lines = (await readFile(join(SAMPLES, 'postfix-mail.log'), 'utf8')).split('\n');
  lines[100] = `${lines[100]!.slice(0, 20)}\0${lines[100]!.slice(20)}`;
  const path = await write(t.context.dir, 'mail.log', lines.join('\n'));
  const items = await collect([path]);

  t.deepEqual(linesOf(items), lines.slice(0, -1));
  t.deepEqual(problemsOf(items), []);
  t.deepEqual(warningsOf(items), []);
});

test('zero-filled blocks left by a crash join the next line and keep the line numbers', async (t) => {
  // After a crash the file system may keep blocks the kernel never wrote, zero-filled; syslog
  // then appends after them, without a newline in between.
  const before = numbered('before ', 3);
  const content = `${before}${'\0'.repeat(8192)}after 4\n${'\0'.repeat(1 << 20)}after 5\nafter 6\n`;
  const path = await write(t.context.dir, 'mail.log', content);
  const items = await collect([path], { maxLineLength: 10000 });
  const lines = linesOf(items);

  t.deepEqual(lines, ['before 1', 'before 2', 'before 3', 'after 4', 'after 5', 'after 6']);
  t.deepEqual(
    warningsOf(items).map((item) => [item.line, item.message]),
    [
      [4, '8192 NUL bytes removed before the line'],
      [5, '1048576 NUL bytes removed before the line'],
    ],
  );
  t.is(batchesOf(items).at(-1)?.endOffset, Buffer.byteLength(content));
});

test('executables and random data are still refused as binary', async (t) => {
  const random = await write(t.context.dir, 'random.log', randomBytes(100_000));
  const items = await collect([process.execPath, random]);

  t.deepEqual(
    problemsOf(items).map((item) => [item.error.code, item.error.message]),
    [
      ['INPUT_BINARY', `Not a text log (binary data): ${process.execPath}`],
      ['INPUT_BINARY', `Not a text log (binary data): ${random}`],
    ],
  );
  t.deepEqual(linesOf(items), []);
});

test('a stdin that starts with a NUL byte, a byte at a time, is judged on more than that byte', async (t) => {
  const text = `\0${POSTFIX_LINE}\n${POSTFIX_LINE}\n`;
  const stdin = Readable.from([...Buffer.from(text)].map((byte) => Buffer.from([byte])));
  const items = await collect(['-'], { stdin });

  t.deepEqual(linesOf(items), [POSTFIX_LINE, POSTFIX_LINE]);
  t.deepEqual(
    warningsOf(items).map((item) => [item.line, item.message]),
    [[1, '1 NUL byte removed before the line']],
  );
  t.deepEqual(problemsOf(items), []);
});

test('a file the user may not read is reported as unreadable', async (t) => {
  const { dir } = t.context;
  const path = await write(dir, 'mail.log', `${POSTFIX_LINE}\n`);
  await chmod(path, 0o000);

  if (process.getuid?.() !== 0) {
    const [problem] = problemsOf(await collect([path]));
    t.is(problem?.error.code, 'INPUT_UNREADABLE');
    t.is(problem?.error.message, `Permission denied: ${path}`);
    return;
  }

  // root reads any file, so the check runs as the unprivileged user `nobody`.
  await chmod(dir, 0o755);
  const script = `const { readInputs } = await import(${JSON.stringify(MODULE)});
for await (const item of readInputs([${JSON.stringify(path)}]))
  console.log(JSON.stringify([item.kind, item.error?.code, item.error?.message]));`;
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    },
  );

  t.is(child.stderr, '');
  t.deepEqual(JSON.parse(child.stdout), [
    'problem',
    'INPUT_UNREADABLE',
    `Permission denied: ${path}`,
  ]);
});

test('CRLF endings are stripped and a last line without a newline is still delivered', async (t) => {
  const path = await write(t.context.dir, 'crlf.log', `${POSTFIX_LINE}\r\nsecond\r\n\r\nlast`);
  const items = await collect([path]);

  t.deepEqual(linesOf(items), [POSTFIX_LINE, 'second', '', 'last']);
  t.is(batchesOf(items).at(-1)?.firstLine, 4);
  t.is(
    batchesOf(items).at(-1)?.endOffset,
    Buffer.byteLength(`${POSTFIX_LINE}\r\nsecond\r\n\r\nlast`),
  );
});

test('empty input gives one empty batch per input and no problem', async (t) => {
  const path = await write(t.context.dir, 'empty.log', '');
  const stdin = Readable.from([]);
  const items = await collect([path, '-'], { stdin });

  t.deepEqual(
    items.map((item) => [item.kind, item.input.name]),
    [
      ['lines', path],
      ['lines', '-'],
    ],
  );
  t.deepEqual(linesOf(items), []);
  t.is(batchesOf(items)[0]?.endOffset, 0);
});

test('invalid UTF-8 becomes U+FFFD with one warning for the input', async (t) => {
  const bytes = Buffer.concat([
    Buffer.from('ok\nsender=<j'),
    Buffer.from([0xf6]),
    Buffer.from('rg@example.com>\nagain '),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('\n'),
  ]);
  const path = await write(t.context.dir, 'latin1.log', bytes);
  const items = await collect([path]);

  t.deepEqual(linesOf(items), ['ok', 'sender=<j\uFFFDrg@example.com>', 'again \uFFFD\uFFFD']);
  t.deepEqual(
    warningsOf(items).map((item) => item.line),
    [2],
  );
});

test('a 1 MB line is cut with a warning and the lines after it are read normally', async (t) => {
  const long = 'x'.repeat(1024 * 1024);
  const path = await write(t.context.dir, 'long.log', `first\n${long}\nthird\nfourth\n`);
  const items = await collect([path], { maxLineLength: 1000 });
  const lines = linesOf(items);

  t.deepEqual(
    lines.map((line) => line.length),
    [5, 1000, 5, 6],
  );
  t.deepEqual(warningsOf(items), [
    {
      kind: 'warning',
      input: { name: path, mtime: batchesOf(items)[0]!.input.mtime! },
      line: 2,
      message: 'Line longer than 1000 characters: cut to 1000',
    },
  ]);
});

test('a file cut while it is read (copytruncate) ends with a warning that says so', async (t) => {
  const path = await write(t.context.dir, 'mail.log', numbered('line ', 400000));
  const size = (await readFile(path)).length;
  const items: InputItem[] = [];

  for await (const item of readInputs([path])) {
    if (items.length === 0) await truncate(path, 0);
    items.push(item);
  }

  const lines = linesOf(items);
  t.true(lines.length > 0 && lines.length < 400000, `${lines.length} lines read`);
  const [warning] = warningsOf(items);
  t.is(warningsOf(items).length, 1);
  t.is(warning?.line, lines.length);
  t.regex(
    warning?.message ?? '',
    new RegExp(
      `^The file shrank while it was read \\(\\d+ of the ${size} bytes it had when opened\\)`,
    ),
  );
});

test('a live log cut while read under --state says nothing: the next run reads the copy', async (t) => {
  const path = await write(t.context.dir, 'mail.log', numbered('line ', 400000));
  const items: InputItem[] = [];

  for await (const item of readInputs([path], { holdUnfinishedLine: true })) {
    if (items.length === 0) await truncate(path, 0);
    items.push(item);
  }

  t.true(linesOf(items).length < 400000);
  t.deepEqual(warningsOf(items), []);
});

test('a long line inside one chunk is cut too, with the line number of that line', async (t) => {
  const path = await write(t.context.dir, 'long.log', `a\n${'y'.repeat(50)}\r\nb\n`);
  const items = await collect([path], { maxLineLength: 20 });

  t.deepEqual(linesOf(items), ['a', 'y'.repeat(20), 'b']);
  t.deepEqual(
    warningsOf(items).map((item) => item.line),
    [2],
  );
});

test('reading a plain file can start at a byte offset', async (t) => {
  const text = 'one\ntwo\nthree\n';
  const path = await write(t.context.dir, 'mail.log', text);
  const items = await collect([path], { startOffsets: new Map([[path, 4]]) });

  t.deepEqual(linesOf(items), ['two', 'three']);
  t.is(batchesOf(items)[0]?.endOffset, text.length);
  t.is(batchesOf(items)[0]?.bytesRead, text.length);
});

test('lines read from an offset keep their numbers in the file when the lines before are known', async (t) => {
  const text = 'one\ntwo\nthree\n';
  const path = await write(t.context.dir, 'mail.log', text);
  const known = await collect([path], {
    startOffsets: new Map([[path, 4]]),
    startLines: new Map([[path, 1]]),
  });
  const unknown = await collect([path], { startOffsets: new Map([[path, 4]]) });
  const fromStart = await collect([path], { startLines: new Map([[path, 7]]) });

  t.is(batchesOf(known)[0]?.firstLine, 2);
  t.is(batchesOf(unknown)[0]?.firstLine, 1);
  t.is(batchesOf(fromStart)[0]?.firstLine, 1, 'no offset: the count of lines before is 0');
});

test('reading a gzip file can start at an offset in its content', async (t) => {
  const text = 'one\ntwo\nthree\n';
  const path = await write(t.context.dir, 'mail.log.1.gz', gzipSync(text));
  const items = await collect([path], { startOffsets: new Map([[path, 8]]) });

  t.deepEqual(linesOf(items), ['three']);
  t.is(batchesOf(items)[0]?.endOffset, text.length);
});

test('stdin is read as `-`, in the place it was given, gzip or not', async (t) => {
  const path = await write(t.context.dir, 'mail.log', 'file\n');
  const plain = await collect(['-', path], {
    stdin: Readable.from([Buffer.from('in1\nin'), 'put2']),
  });
  const gzipped = gzipSync('zipped\n');
  const bytes = [...gzipped].map((byte) => Buffer.from([byte]));
  const zipped = await collect(['-'], { stdin: Readable.from(bytes) });

  t.deepEqual(linesOf(plain), ['in1', 'input2', 'file']);
  t.deepEqual(batchesOf(plain)[0]?.input, { name: '-' });
  t.false('endOffset' in batchesOf(plain)[0]!);
  t.deepEqual(linesOf(zipped), ['zipped']);
  t.is(batchesOf(zipped).at(-1)?.bytesRead, gzipped.length);
});

test('inputs carry the file modification time', async (t) => {
  const path = await write(t.context.dir, 'mail.log', 'x\n');
  const [batch] = batchesOf(await collect([path]));

  t.is(typeof batch?.input.mtime, 'number');
  t.true(Math.abs(batch!.input.mtime! - Date.now()) < 60_000);
});

test('a gzip copy is placed by the time its header recorded, not its copy time', async (t) => {
  const rotated = gzipSync(`${POSTFIX_LINE}\n`);
  // MTIME, bytes 4 to 7 (RFC 1952): the hour logrotate compressed it; not covered by the CRC.
  const recorded = Date.parse('2026-12-04T06:25:00Z');
  rotated.writeUInt32LE(recorded / 1000, 4);
  const copy = join(t.context.dir, 'mail.log.2.gz');
  await writeFile(copy, rotated);
  // Copied without keeping its time, in the following March.
  const copied = new Date('2027-03-10T12:00:00Z');
  await utimes(copy, copied, copied);
  const plain = await write(t.context.dir, 'mail.log', `${POSTFIX_LINE}\n`);
  await utimes(plain, copied, copied);

  const [gz, text] = [copy, plain].map(async (path) => batchesOf(await collect([path]))[0]);
  t.is((await gz)?.input.mtime, recorded);
  t.is((await text)?.input.mtime, copied.getTime());
});

async function collect(
  paths: readonly string[],
  options?: Parameters<typeof readInputs>[1],
): Promise<InputItem[]> {
  const items: InputItem[] = [];

  for await (const item of readInputs(paths, options)) {
    items.push(item);
  }

  return items;
}

function batchesOf(items: readonly InputItem[]): LineBatch[] {
  return items.filter((item): item is LineBatch => item.kind === 'lines');
}

function problemsOf(items: readonly InputItem[]): InputProblem[] {
  return items.filter((item): item is InputProblem => item.kind === 'problem');
}

function warningsOf(items: readonly InputItem[]): LineWarning[] {
  return items.filter((item): item is LineWarning => item.kind === 'warning');
}

function linesOf(items: readonly InputItem[]): string[] {
  return batchesOf(items).flatMap((batch) => batch.lines);
}

function numbered(prefix: string, count: number): string {
  let text = '';

  for (let index = 1; index <= count; index++) {
    text += `${prefix}${index}\n`;
  }

  return text;
}

async function write(dir: string, name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

test('holdUnfinishedLine leaves the live log its last unfinished line, but not rotated copies', async (t) => {
  const { dir } = t.context;
  const live = await write(dir, 'mail.log', 'whole\nhalf a li');
  const rotated = await write(dir, 'mail.log.1', 'older\nlast of its day');
  const compressed = await write(dir, 'mail.log.2.gz', gzipSync('oldest\nno newline'));
  const items = await collect([live, rotated, compressed], { holdUnfinishedLine: true });

  t.deepEqual(linesOf(items), ['oldest', 'no newline', 'older', 'last of its day', 'whole']);
  t.is(batchesOf(items).at(-1)?.endOffset, Buffer.byteLength('whole\n'));
  t.deepEqual(
    items.filter((item) => item.kind === 'warning'),
    [],
    'a line left for the next run is not a damaged line',
  );
  t.deepEqual(linesOf(await collect([live])), ['whole', 'half a li']);
});

test('a deferral after a zero block of 70,000 or 5,000,000 bytes is read whole', async (t) => {
  const lines = (await readFile(join(SAMPLES, 'postfix-mail.log'), 'utf8')).split('\n');
  const [before, deferral, after] = [lines.slice(0, 5).join('\n'), lines[5]!, lines[6]!];

  for (const count of [70_000, 5_000_000]) {
    const content = Buffer.concat([
      Buffer.from(`${before}\n`),
      Buffer.alloc(count),
      Buffer.from(`${deferral}\n${after}\n`),
    ]);
    const plain = await write(t.context.dir, `mail-${count}.log`, content);
    const gzipped = await write(t.context.dir, `mail-${count}.gz`, gzipSync(content));

    for (const path of [plain, gzipped]) {
      const items = await collect([path]);

      t.deepEqual(linesOf(items), [...lines.slice(0, 7)]);
      t.deepEqual(
        warningsOf(items).map((item) => [item.line, item.message]),
        [[6, `${count} NUL bytes removed before the line`]],
      );
      t.is(batchesOf(items).at(-1)?.endOffset, content.length);
    }
  }
});

test('NULs after the last line are ignored with a warning; a live log keeps them', async (t) => {
  const { dir } = t.context;
  const padded = await write(dir, 'mail.log', `${POSTFIX_LINE}\n${'\0'.repeat(100_000)}`);
  const zeros = await write(dir, 'zeros.log', Buffer.alloc(100_000));
  const items = await collect([padded, zeros]);

  t.deepEqual(linesOf(items), [POSTFIX_LINE]);
  t.deepEqual(
    warningsOf(items).map((item) => [item.input.name, item.line, item.message]),
    [
      [padded, 1, '100000 NUL bytes after the last line ignored'],
      [zeros, 1, '100000 NUL bytes after the last line ignored'],
    ],
  );

  // The next run reads them with the line written after them.
  const live = await collect([padded], { holdUnfinishedLine: true });
  t.deepEqual(linesOf(live), [POSTFIX_LINE]);
  t.deepEqual(warningsOf(live), []);
  t.is(batchesOf(live).at(-1)?.endOffset, POSTFIX_LINE.length + 1);
});

test('a named pipe no one writes to is a problem after the wait; the next is read', async (t) => {
  // Before, opening it waited for a writer forever and no input after it was read.
  t.timeout(60_000);
  const fifo = makeFifo(t.context.dir);
  const sample = join(SAMPLES, 'postfix-mail.log');
  const began = Date.now();
  const items = await collect([fifo, sample], { pipeWriterWait: 300 });

  t.deepEqual(
    problemsOf(items).map((item) => [item.error.code, item.error.message]),
    [
      [
        'INPUT_UNREADABLE',
        `Nothing to read from the named pipe ${fifo}: ` +
          'no program opened it for writing within 0.3 s',
      ],
    ],
  );
  t.deepEqual(linesOf(items), (await readFile(sample, 'utf8')).split('\n').slice(0, -1));
  t.true(Date.now() - began >= 300);
});

test('a named pipe is read whole when its writer opens it before or after us', async (t) => {
  t.timeout(60_000);
  const sample = join(SAMPLES, 'postfix-mail.log');
  const expected = (await readFile(sample, 'utf8')).split('\n').slice(0, -1);

  // `writer > pipe & mxtriage pipe`: the writer may open it first, waiting, or a little later.
  for (const delay of ['0', '0.5']) {
    const fifo = makeFifo(t.context.dir, `pipe-${delay}`);
    const writer = spawn('sh', ['-c', `sleep ${delay}; gzip -c "$0" > "$1"`, sample, fifo]);
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    const items = await collect([fifo]);

    t.deepEqual(linesOf(items), expected);
    t.deepEqual(problemsOf(items), []);
    t.is(await exited, 0);
  }
});

test('process substitution is read without a wait, also with a slow or gone writer', async (t) => {
  const sample = join(SAMPLES, 'postfix-mail.log');
  const script = `const { readInputs } = await import(${JSON.stringify(MODULE)});
const lines = process.argv.slice(1).map(() => 0);
const index = new Map(process.argv.slice(1).map((name, at) => [name, at]));
for await (const item of readInputs(process.argv.slice(1), { pipeWriterWait: 600000 })) {
  if (item.kind === 'problem') console.error(item.error.message);
  if (item.kind === 'lines') lines[index.get(item.input.name)] += item.lines.length;
}
console.log(JSON.stringify(lines));`;
  const command =
    'exec "$0" --import tsx --input-type=module -e "$1" ' +
    '<(cat "$2") <(sleep 0.5; gzip -c "$2") <(true)';
  // A wait of 10 minutes for a writer would be cut short by the timeout.
  const child = spawnSync('bash', ['-c', command, process.execPath, script, sample], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    timeout: 60_000,
  });
  const count = (await readFile(sample, 'utf8')).split('\n').length - 1;

  t.is(child.stderr, '');
  // An anonymous pipe whose writer has gone gets no other: it is empty, not waited for.
  t.deepEqual(JSON.parse(child.stdout), [count, count, 0]);
});

function makeFifo(dir: string, name = 'pipe'): string {
  const path = join(dir, name);
  const result = spawnSync('mkfifo', [path]);

  if (result.status !== 0) {
    throw new Error(`mkfifo failed: ${result.stderr.toString()}`);
  }

  return path;
}
