import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

import test from 'ava';

import { isGzip, looksBinary } from '../../src/input/sniff.js';

const SAMPLE = new URL('../../samples/exim-mainlog', import.meta.url);
const POSTFIX = new URL('../../samples/postfix-mail.log', import.meta.url);

test('gzip is recognised by its two magic bytes', (t) => {
  t.true(isGzip(gzipSync('x')));
  t.true(isGzip(Buffer.from([0x1f, 0x8b])));
  t.false(isGzip(Buffer.from([0x1f])));
  t.false(isGzip(Buffer.from('Dec  3 18:32:50 mailhost postfix/master[414]: daemon started')));
  t.false(isGzip(Buffer.alloc(0)));
});

test('real logs, Latin-1 text and colour codes are not binary', async (t) => {
  const latin1 = Buffer.from(
    'Dec  3 18:32:52 mailhost sm-mta[4]: to=<jörg@example.com>\n',
    'latin1',
  );

  t.false(looksBinary(await readFile(SAMPLE)));
  t.false(looksBinary(latin1));
  t.false(looksBinary(Buffer.from('\u001b[31merror\u001b[0m\tdeferred\r\n\f')));
  t.false(looksBinary(Buffer.alloc(0)));
});

test('a stray NUL byte or zero-filled blocks in a text log are not binary', async (t) => {
  const lines = (await readFile(POSTFIX)).toString('latin1').split('\n');
  const withNul = lines.map((line, index) => (index === 100 ? `${line}\0` : line)).join('\n');
  // What a crash leaves: blocks the kernel never wrote, zero-filled, and logging goes on.
  const zeroFilled = [...lines.slice(0, 50), '\0'.repeat(4096) + lines[50], ...lines.slice(51)];
  const zeroStart = Buffer.concat([Buffer.alloc(65536 - 200), Buffer.from(lines.join('\n'))]);

  t.false(looksBinary(Buffer.from(withNul, 'latin1')));
  t.false(looksBinary(Buffer.from(zeroFilled.join('\n'), 'latin1')));
  t.false(looksBinary(zeroStart.subarray(0, 65536)));
  t.false(looksBinary(Buffer.alloc(65536)));
  t.false(looksBinary(Buffer.from(`${lines[0]}\0\n`)));
});

test('executables, random data, control-character soup and UTF-16 are binary', async (t) => {
  const noNul = Buffer.from(randomBytes(4096).map((byte) => byte || 1));
  const executable = await readFile(process.execPath);
  const utf16 = Buffer.from((await readFile(POSTFIX, 'utf8')).slice(0, 8000), 'utf16le');
  // Records of fixed-width fields, like wtmp: text padded with NULs between small integers.
  const records = Buffer.alloc(384 * 20);

  for (let offset = 0; offset < records.length; offset += 384) {
    records.writeUInt32LE(7, offset);
    records.writeUInt32LE(4242, offset + 4);
    records.write('pts/0', offset + 8);
    records.write('root', offset + 44);
    records.write('192.0.2.7', offset + 76);
    records.writeUInt32LE(1764787970, offset + 340);
  }

  t.true(looksBinary(noNul));
  t.true(looksBinary(randomBytes(65536)));
  t.true(looksBinary(executable.subarray(0, 65536)));
  t.true(looksBinary(executable.subarray(64, 65536)), 'without its magic number');
  t.true(looksBinary(Buffer.from('\u0001\u0002\u0003abc\u0004\u0005')));
  t.true(looksBinary(utf16));
  t.true(looksBinary(records));
});

const binaryHeads: readonly (readonly [string, Buffer])[] = [
  ['ELF', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])],
  ['PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0])],
  ['PDF', Buffer.from('%PDF-1.7\n')],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ['ar', Buffer.from('!<arch>\ndebian-binary   ')],
  ['SQLite', Buffer.from('SQLite format 3\0')],
  ['systemd journal', Buffer.from('LPKSHHRH')],
  ['tar', Buffer.concat([Buffer.from('mail.log'), Buffer.alloc(249), Buffer.from('ustar\x0000')])],
];

for (const [format, head] of binaryHeads) {
  test(`${format} data is binary by its magic number, even when text follows`, async (t) => {
    const text = await readFile(POSTFIX);
    const block = Buffer.concat([head, text]).subarray(0, 65536);

    t.false(looksBinary(text));
    t.true(looksBinary(block));
  });
}
