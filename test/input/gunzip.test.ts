import { constants, crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';

import test from 'ava';

import { gunzip } from '../../src/input/gunzip.js';

const TEXT = numbered(20000);

interface Gunzipped {
  readonly content: Buffer;
  readonly error?: { code: string; message: string };
  readonly hasTrailingData: boolean;
}

const chunkings: readonly (readonly [string, number])[] = [
  ['in one piece', Number.POSITIVE_INFINITY],
  ['a byte at a time', 1],
  ['in pieces of 1000 bytes', 1000],
];

for (const [how, size] of chunkings) {
  test(`members with any header fields are read in order, given ${how}`, async (t) => {
    const members = [
      member('first\n', { name: 'mail.log' }),
      member('second\n', { extra: Buffer.from('AB\u0002\u0000xy'), comment: 'rotated' }),
      member('third\n', { name: 'mail.log.1', headerCrc: true }),
      gzipSync(''),
      gzipSync('fourth\n'),
    ];
    const result = await gunzipAll(Buffer.concat(members), size);

    t.is(result.content.toString(), 'first\nsecond\nthird\nfourth\n');
    t.is(result.error, undefined);
    t.false(result.hasTrailingData);
  });
}

test('bytes after the last member are reported as trailing data, after all the content', async (t) => {
  const garbage = Buffer.concat([gzipSync(TEXT), Buffer.from('trailing garbage\n')]);
  const result = await gunzipAll(garbage, 64 * 1024);

  t.is(result.content.toString(), TEXT);
  t.is(result.error, undefined);
  t.true(result.hasTrailingData);
});

test('zero bytes after the last member are padding, not trailing data', async (t) => {
  const padded = Buffer.concat([gzipSync(TEXT), Buffer.alloc(10000)]);
  const result = await gunzipAll(padded, 4096);

  t.is(result.content.toString(), TEXT);
  t.false(result.hasTrailingData);
});

test('data cut short gives all it holds, then an end-of-file error', async (t) => {
  const whole = gzipSync(TEXT);

  for (const length of [5, 12, whole.length / 2, whole.length - 8, whole.length - 1]) {
    const cut = whole.subarray(0, length);
    const result = await gunzipAll(cut, 64 * 1024);
    const expected = length < 12 ? '' : gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH });

    t.is(result.content.toString(), expected.toString(), `cut at ${length}`);
    t.deepEqual(result.error, { code: 'Z_BUF_ERROR', message: 'unexpected end of file' });
  }
});

test('a trailer that does not match the content is an error after the content', async (t) => {
  const whole = gzipSync(TEXT);
  const badCrc = Buffer.from(whole);
  badCrc.writeUInt32LE(crc32(TEXT) ^ 1, whole.length - 8);
  const badLength = Buffer.from(whole);
  badLength.writeUInt32LE(TEXT.length + 1, whole.length - 4);

  for (const [data, message] of [
    [badCrc, 'incorrect data check'],
    [badLength, 'incorrect length check'],
  ] as const) {
    const result = await gunzipAll(data, 64 * 1024);

    t.is(result.content.toString(), TEXT);
    t.deepEqual(result.error, { code: 'Z_DATA_ERROR', message });
  }
});

test('a damaged member header is an error after the members before it', async (t) => {
  const first = gzipSync('first\n');
  const unknownMethod = Buffer.from(gzipSync('second\n'));
  unknownMethod[2] = 7;
  const reservedFlag = Buffer.from(gzipSync('second\n'));
  reservedFlag[3] = 0x20;

  for (const [damaged, message] of [
    [unknownMethod, 'unknown compression method'],
    [reservedFlag, 'unknown header flags set'],
  ] as const) {
    const result = await gunzipAll(Buffer.concat([first, damaged]), 64 * 1024);

    t.is(result.content.toString(), 'first\n');
    t.deepEqual(result.error, { code: 'Z_DATA_ERROR', message });
  }
});

test('stopping early leaves the rest of the input unread', async (t) => {
  const whole = gzipSync(TEXT);
  let pieces = 0;

  async function* raw(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < whole.length; offset += 1000) {
      pieces++;
      yield whole.subarray(offset, offset + 1000);
    }
  }

  for await (const content of gunzip(raw())) {
    t.true(content.length > 0);
    break;
  }

  t.true(pieces < whole.length / 1000 / 2);
});

async function gunzipAll(data: Buffer, pieceSize: number): Promise<Gunzipped> {
  let hasTrailingData = false;
  const parts: Buffer[] = [];

  async function* raw(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < data.length; offset += pieceSize) {
      yield data.subarray(offset, offset + pieceSize);
    }
  }

  try {
    for await (const part of gunzip(raw(), { onTrailingData: () => (hasTrailingData = true) })) {
      parts.push(part);
    }
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { content: Buffer.concat(parts), error: { code, message }, hasTrailingData };
  }

  return { content: Buffer.concat(parts), hasTrailingData };
}

interface HeaderFields {
  readonly name?: string;
  readonly comment?: string;
  readonly extra?: Buffer;
  readonly headerCrc?: boolean;
}

/** A gzip member written field by field (RFC 1952 §2.3), with the optional fields asked for. */
function member(text: string, fields: HeaderFields): Buffer {
  const flags =
    (fields.headerCrc === true ? 0x02 : 0) |
    (fields.extra === undefined ? 0 : 0x04) |
    (fields.name === undefined ? 0 : 0x08) |
    (fields.comment === undefined ? 0 : 0x10);
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3])];

  if (fields.extra !== undefined) {
    parts.push(uint16(fields.extra.length), fields.extra);
  }

  for (const field of [fields.name, fields.comment]) {
    if (field !== undefined) {
      parts.push(Buffer.from(`${field}\0`, 'latin1'));
    }
  }

  if (fields.headerCrc === true) {
    parts.push(uint16(crc32(Buffer.concat(parts)) & 0xffff));
  }

  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(text), 0);
  trailer.writeUInt32LE(Buffer.byteLength(text), 4);
  return Buffer.concat([...parts, deflateRawSync(text), trailer]);
}

function uint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes;
}

function numbered(count: number): string {
  let text = '';

  for (let index = 1; index <= count; index++) {
    text += `Dec  3 18:32:52 mailhost postfix/smtp[${index}]: line ${index}\n`;
  }

  return text;
}
