import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

import test from 'ava';

import { isGzip, looksBinary } from '../../src/input/sniff.js';

const SAMPLE = new URL('../../samples/exim-mainlog', import.meta.url);

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

test('NUL bytes, random data and control-character soup are binary', (t) => {
  const noNul = Buffer.from(randomBytes(4096).map((byte) => byte || 1));

  t.true(looksBinary(Buffer.from('Dec  3 18:32:52 mailhost\0 postfix')));
  t.true(looksBinary(noNul));
  t.true(looksBinary(Buffer.from('\u0001\u0002\u0003abc\u0004\u0005')));
});
