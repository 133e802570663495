import test from 'ava';
import fc from 'fast-check';
import {
  displayName,
  escapeRawControls,
  stripControl,
  visibleControls,
} from '../../src/classify/text.js';

const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const strips = test.macro({
  exec(t, input: string, expected: string) {
    t.is(stripControl(input), expected);
  },
  title: (provided = '') => `stripControl removes ${provided}`,
});

test('colour sequences', strips, '\x1b[31;1mred\x1b[0m text', 'red text');
test('cursor and screen commands', strips, 'a\x1b[2J\x1b[1;1Hb\x1b[?25l', 'ab');
test('an 8-bit CSI', strips, 'a\x9b2Jb', 'ab');
test('a title change ended by BEL', strips, '\x1b]0;owned\x07after', 'after');
test(
  'a hyperlink ended by ST',
  strips,
  '\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\',
  'link',
);
test('an unterminated OSC to the end', strips, 'before\x1b]0;owned', 'before');
test('a DCS string', strips, '\x1bP1$qm\x1b\\after', 'after');
test('an 8-bit APC string', strips, 'a\x9fhidden\x9cb', 'ab');
test('a terminal reset and a charset switch', strips, 'a\x1bcb\x1b(0c', 'abc');
test('carriage returns, line feeds, backspaces and bells', strips, 'a\r\nb\bc\x07d', 'abcd');
test('NUL, DEL and C1 characters', strips, 'a\x00b\x7fc\x85d\x80e', 'abcde');
test('a lone escape at the end', strips, 'abc\x1b', 'abc');

test('stripControl keeps tabs and printable Unicode', (t) => {
  const text = 'jörg@bücher.example\t✓ 例え — 421-4.7.0 [203.0.113.9      15]';
  t.is(stripControl(text), text);
});

test('stripControl leaves no control character in any string', (t) => {
  t.notThrows(() => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const stripped = stripControl(text);
        if (CONTROL.test(stripped)) throw new Error(`Control left in ${JSON.stringify(stripped)}`);
        if (stripControl(stripped) !== stripped) throw new Error('Not stable');
      }),
      { numRuns: 3000 },
    );
  });
});

test('stripControl leaves no control character in strings built from escape pieces', (t) => {
  const pieces = fc.constantFrom(
    '\x1b',
    '[',
    ']',
    '\\',
    '\x07',
    '\x9b',
    '\x9d',
    '\x9c',
    'P',
    '0',
    ';',
    'm',
    'a',
    '\t',
    '\n',
  );
  t.notThrows(() => {
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 20 }), (parts) => {
        const stripped = stripControl(parts.join(''));
        if (CONTROL.test(stripped)) throw new Error(`Control left in ${JSON.stringify(stripped)}`);
      }),
      { numRuns: 3000 },
    );
  });
});

test('bidirectional overrides and isolates are removed, so text reads in the order it was logged', (t) => {
  t.is(stripControl('user@exam\u202eelpmaxe\u202c.test'), 'user@examelpmaxe.test');
  t.is(stripControl('\u2066451 4.7.0\u2069 MX lookup failed'), '451 4.7.0 MX lookup failed');
});

test('the marks of the Bidi_Control set and the Unicode line separators go too', (t) => {
  t.is(stripControl('a@exa\u200emple.com \u200f\u061cx\u2028y\u2029z'), 'a@example.com xyz');
  t.is(displayName('exa\u200emple.com'), '"exa\\u200emple.com"', 'never read as example.com');
  t.is(escapeRawControls(JSON.stringify('a\u2028b\u061c')), '"a\\u2028b\\u061c"');
  t.is(visibleControls('exa\u200fmple'), 'exa\\u200fmple');
});

test('a name with control characters is shown with them escaped, a plain one as it is', (t) => {
  t.is(displayName('northwind.test'), 'northwind.test');
  t.is(displayName('bücher.example'), 'bücher.example');
  t.is(displayName('north\x1b[31mwind.test'), '"north\\u001b[31mwind.test"');
  t.is(displayName('north\x1bwind.test'), '"north\\u001bwind.test"');
  t.is(displayName('exa\u202emple.com'), '"exa\\u202emple.com"', 'never read as example.com');
  t.is(displayName('north\x9b31mwind.test'), '"north\\u009b31mwind.test"');
});

test('JSON text gets the controls JSON.stringify leaves raw as escapes, the same values', (t) => {
  const names = [
    'exa\u202emple.com',
    'north\x9b31mwind.test',
    'a\x1b\x7f\u2066b',
    'bücher.example',
  ];
  const json = escapeRawControls(JSON.stringify(names));

  t.is(
    json,
    '["exa\\u202emple.com","north\\u009b31mwind.test","a\\u001b\\u007f\\u2066b","bücher.example"]',
  );
  t.deepEqual(JSON.parse(json), names);
});

test('a damaged line is shown with its control characters as escapes, not stripped', (t) => {
  // A NUL inside a status word, and a right-to-left override inside a domain: stripped, the
  // line would look sound and the domain would read as example.com.
  t.is(
    visibleControls('status=def\x00erred to=<bob@exa\u202emple.com> \x1b[31mred\x1b[0m\ttab'),
    'status=def\\x00erred to=<bob@exa\\u202emple.com> \\x1b[31mred\\x1b[0m\ttab',
  );
  t.is(visibleControls('plain text'), 'plain text');
});
