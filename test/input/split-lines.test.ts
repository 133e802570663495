import test from 'ava';
import fc from 'fast-check';

import {
  createLineSplitter,
  type LineMarker,
  type RemovedNuls,
  type SplitChunk,
} from '../../src/input/split-lines.js';

test('lines split across chunks, and characters split across chunks, come out whole', (t) => {
  const text =
    'Dec  3 18:32:52 mailhost postfix/smtp[9]: to=<jörg@bücher.example>\nzweite Zeile €\n';
  const bytes = Buffer.from(text);
  const chunks = [...bytes].map((byte) => Buffer.from([byte]));

  t.deepEqual(splitAll(chunks, 1000).lines, text.split('\n').slice(0, -1));
});

test('any text cut into any chunks gives the lines a plain split gives', (t) => {
  const line = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''));
  const property = fc.property(
    fc.array(line, { maxLength: 30 }),
    fc.boolean(),
    fc.array(fc.nat({ max: 50 }), { maxLength: 20 }),
    (lines, endsWithNewline, cuts) => {
      const text = lines.join('\n') + (endsWithNewline && lines.length > 0 ? '\n' : '');
      const bytes = Buffer.from(text);
      const result = splitAll(chunksAt(bytes, cuts), 1000);
      // A final newline ends the last line; it does not start an empty one.
      const expected = text.split('\n');

      if (expected.at(-1) === '') {
        expected.pop();
      }

      t.deepEqual(result.lines, expected);
      t.is(result.endOffset, bytes.length);
    },
  );

  t.notThrows(() => fc.assert(property, { numRuns: 300 }));
});

test('a marker leaves the lines it marks undecoded and changes no other line', (t) => {
  // Marks lines that start with `x`, with their length plus one.
  const marker = (bytes: Uint8Array, start: number, end: number) =>
    bytes[start] === 120 ? end - start + 1 : 0;
  const line = fc
    .string({ unit: 'grapheme', maxLength: 30 })
    .map((s) => s.replace(/[\n]/g, ''))
    .chain((s) => fc.constantFrom(s, `x${s}`));
  const property = fc.property(
    fc.array(line, { minLength: 1, maxLength: 30 }),
    fc.array(fc.nat({ max: 40 }), { maxLength: 20 }),
    (lines, cuts) => {
      const text = `first line\n${lines.join('\n')}\n`;
      const expected = text.split('\n').slice(0, -1);
      const plain = splitAll(chunksAt(Buffer.from(text), cuts), 20);
      const marked = splitAll(chunksAt(Buffer.from(text), cuts), 20, marker);

      t.is(marked.lines.length, expected.length);
      t.deepEqual(marked.cut, plain.cut);
      marked.lines.forEach((got, index) => {
        const mark = marked.marks?.[index] ?? 0;
        const want = plain.lines[index];
        if (mark === 0) t.is(got, want ?? '-');
        else t.is(got === '' && mark, Buffer.byteLength(expected[index] ?? '') + 1);
      });
    },
  );

  t.notThrows(() => fc.assert(property, { numRuns: 300 }));
});

test('a chunk with invalid UTF-8 is decoded whole, its marker not asked', (t) => {
  let asked = 0;
  const marker = () => {
    asked += 1;
    return 1;
  };
  const bytes = Buffer.concat([
    Buffer.from('first\n'),
    Buffer.from('second \xff line\nthird\n', 'latin1'),
  ]);
  const result = splitAll([bytes.subarray(0, 6), bytes.subarray(6)], 100, marker);

  t.deepEqual(result.lines, ['first', 'second \uFFFD line', 'third']);
  t.is(asked, 0);
});

test('after the first chunk, the lines a marker marks are empty strings with their mark', (t) => {
  const marker = (bytes: Uint8Array, start: number, end: number) =>
    bytes[start] === 120 ? end - start : 0;
  const chunks = [Buffer.from('xfirst\n'), Buffer.from('xab\nb\r\nxc\r\n')];
  const result = splitAll(chunks, 100, marker);

  // The first line may carry a byte order mark: the content's first chunk is decoded whole.
  t.deepEqual(result.lines, ['xfirst', '', 'b', '']);
  t.deepEqual(result.marks, [0, 3, 0, 3]);
});

test('the end offset stops at the last complete line until the input ends', (t) => {
  const splitter = createLineSplitter({ maxLineLength: 100, startOffset: 1000 });

  t.is(splitter.push(Buffer.from('one\ntw')).endOffset, 1004);
  t.is(splitter.push(Buffer.from('o')).endOffset, 1004);
  t.is(splitter.push(Buffer.from('\nthree')).endOffset, 1008);
  t.deepEqual(splitter.finish(), { lines: ['three'], cut: [], invalidUtf8: -1, endOffset: 1013 });
});

test('an over-long line is cut to the maximum and reported by its index', (t) => {
  const result = splitAll(
    [Buffer.from('ab\n'), Buffer.from('c'.repeat(500)), Buffer.from('\nd\n')],
    10,
  );

  t.deepEqual(result.lines, ['ab', 'c'.repeat(10), 'd']);
  t.deepEqual(result.cut, [1]);
});

test('a cut never leaves half of a surrogate pair', (t) => {
  const result = splitAll([Buffer.from(`${'a'.repeat(9)}😀😀\n`)], 10);

  t.deepEqual(result.lines, ['a'.repeat(9)]);
});

test('only the first line with invalid UTF-8 in an input is reported', (t) => {
  const splitter = createLineSplitter({ maxLineLength: 100, startOffset: 0 });
  const first = splitter.push(Buffer.from([0x61, 0x0a, 0x62, 0xe9, 0x0a, 0xe9, 0x0a]));
  const second = splitter.push(Buffer.from([0xe9, 0x0a]));

  t.deepEqual(first.lines, ['a', 'b\uFFFD', '\uFFFD']);
  t.is(first.invalidUtf8, 1);
  t.is(second.invalidUtf8, -1);
});

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const FIRST =
  'Dec  3 18:32:50 mailhost postfix/postfix-script[412]: starting the Postfix mail system';
const SECOND = 'Dec  3 18:32:50 mailhost postfix/master[414]: daemon started -- version 3.7.11';

test('a byte order mark at the start of the content is dropped, in any chunks, and its bytes still count', (t) => {
  const bytes = Buffer.concat([BOM, Buffer.from(`${FIRST}\r\n${SECOND}`)]);
  const cuts = [[], [1, 1], [2, 40], [bytes.length - 3]];

  for (const cut of cuts) {
    const result = splitAll(chunksAt(bytes, cut), 1000);

    t.deepEqual(result.lines, [FIRST, SECOND]);
    t.is(result.endOffset, bytes.length);
  }

  t.deepEqual(splitAll([BOM, Buffer.from(FIRST)], 1000).lines, [FIRST]);
});

test('a byte order mark after the start of the content is text, and a resumed read keeps it', (t) => {
  const later = splitAll(
    [Buffer.concat([Buffer.from(`${FIRST}\n`), BOM, Buffer.from('x\n')])],
    1000,
  );
  const resumed = createLineSplitter({ maxLineLength: 1000, startOffset: 3 });

  t.deepEqual(later.lines, [FIRST, '\uFEFFx']);
  t.deepEqual(resumed.push(Buffer.concat([BOM, Buffer.from(`${FIRST}\n`)])), {
    lines: [`\uFEFF${FIRST}`],
    cut: [],
    invalidUtf8: -1,
    endOffset: 3 + 3 + FIRST.length + 1,
  });
});

function splitAll(
  chunks: readonly Buffer[],
  maxLineLength: number,
  marker?: LineMarker,
): SplitChunk {
  const splitter = createLineSplitter({
    maxLineLength,
    startOffset: 0,
    ...(marker === undefined ? {} : { marker }),
  });
  const lines: string[] = [];
  const cut: number[] = [];
  const marks: number[] = [];
  const nulsRemoved: RemovedNuls[] = [];
  let nulsAtEnd: number | undefined;
  let endOffset = 0;

  for (const result of [...chunks.map((chunk) => splitter.push(chunk)), splitter.finish()]) {
    cut.push(...result.cut.map((index) => lines.length + index));
    marks.push(...(result.marks ?? result.lines.map(() => 0)));
    const removed = result.nulsRemoved ?? [];
    nulsRemoved.push(
      ...removed.map(({ index, count }) => ({ index: lines.length + index, count })),
    );
    lines.push(...result.lines);
    endOffset = result.endOffset;
    nulsAtEnd = result.nulsAtEnd ?? nulsAtEnd;
  }

  const atEnd = nulsAtEnd === undefined ? {} : { nulsAtEnd };
  return { lines, cut, invalidUtf8: -1, endOffset, marks, nulsRemoved, ...atEnd };
}

function chunksAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;

  for (const size of cuts) {
    chunks.push(bytes.subarray(start, start + size));
    start = Math.min(bytes.length, start + size);
  }

  chunks.push(bytes.subarray(start));
  return chunks;
}

// Line 6 of samples/postfix-mail.log, the deferral a zero-filled block must not swallow.
const DEFERRAL =
  'Dec  3 18:32:52 mailhost postfix/smtp[446]: AFF09186110: to=<j.smith@northwind.test>, ' +
  'relay=none, delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (Host or domain ' +
  'name not found. Name service error for name=northwind.test type=MX: Host not found, try again)';
const MAX_LINE = 64 * 1024;

test('NUL bytes before a line are removed and counted before the line is measured', (t) => {
  for (const count of [70_000, 5_000_000]) {
    const bytes = Buffer.concat([Buffer.from(`${FIRST}\n`), Buffer.alloc(count), lineOf(DEFERRAL)]);
    // Whole, in read-sized chunks, and with the block starting a chunk of its own.
    const chunkings = [[], Array(40).fill(256 * 1024), [FIRST.length + 1, 65536, 3]];

    for (const cuts of chunkings) {
      for (const marker of [undefined, () => 0]) {
        const result = splitAll(chunksAt(bytes, cuts), MAX_LINE, marker);

        t.deepEqual(result.lines, [FIRST, DEFERRAL]);
        t.deepEqual(result.cut, []);
        t.deepEqual(result.nulsRemoved, [{ index: 1, count }]);
        t.is(result.endOffset, bytes.length);
      }
    }
  }
});

test('a marker is asked about a line without the NUL bytes before it', (t) => {
  const seen: string[] = [];
  const marker: LineMarker = (bytes, start, end) => {
    seen.push(Buffer.from(bytes.subarray(start, end)).toString());
    return 0;
  };
  const splitter = createLineSplitter({ maxLineLength: MAX_LINE, startOffset: 0, marker });
  splitter.push(lineOf(FIRST));
  const result = splitter.push(Buffer.concat([Buffer.alloc(70_000), lineOf(DEFERRAL)]));

  t.deepEqual(seen, [DEFERRAL]);
  t.deepEqual(result.lines, [DEFERRAL]);
  t.deepEqual(result.nulsRemoved, [{ index: 0, count: 70_000 }]);
});

test('NUL bytes after the last line are no line; inside a line they stay', (t) => {
  const inside = `${FIRST.slice(0, 20)}\0${FIRST.slice(20)}`;
  const bytes = Buffer.concat([lineOf(inside), lineOf(SECOND), Buffer.alloc(300_000)]);

  for (const cuts of [[], [100, 65536, 65536]]) {
    const result = splitAll(chunksAt(bytes, cuts), MAX_LINE);

    t.deepEqual(result.lines, [inside, SECOND]);
    t.deepEqual(result.nulsRemoved, []);
    t.is(result.nulsAtEnd, 300_000);
    t.is(result.endOffset, bytes.length);
  }
});

test('a line of NUL bytes only is an empty line', (t) => {
  const result = splitAll(
    [Buffer.concat([Buffer.alloc(5), Buffer.from('\r\n'), lineOf(FIRST)])],
    100,
  );

  t.deepEqual(result.lines, ['', FIRST]);
  t.deepEqual(result.nulsRemoved, [{ index: 0, count: 5 }]);
  t.is(result.nulsAtEnd, undefined);
});

function lineOf(text: string): Buffer {
  return Buffer.from(`${text}\n`);
}
