import test from 'ava';
import fc from 'fast-check';

import { isValidDomainName } from '../../src/dns/domain-name.js';

const accepts = test.macro({
  exec(t, name: string) {
    t.true(isValidDomainName(name));
  },
  title: (provided = '') => `a valid host name is accepted: ${provided}`,
});

const refuses = test.macro({
  exec(t, name: string) {
    t.false(isValidDomainName(name));
  },
  title: (provided = '') => `a name that is no host name is refused: ${provided}`,
});

test('a plain domain', accepts, 'example.com');
test('upper case', accepts, 'Example.COM');
test('an A-label', accepts, 'xn--bcher-kva.example');
test('an underscore label', accepts, '_dmarc.example.com');
test('hyphens and digits, a numeric first label', accepts, '1.mail-2.example.co.uk');
test('a label of 63 octets', accepts, `${'a'.repeat(63)}.example`);
test('a name of 253 characters', accepts, `${'a.'.repeat(125)}com`);

test('an HTML tag from to=<x@<script>.example>', refuses, '<script>.example');
test("Sendmail's bare to=postmaster", refuses, 'postmaster');
test('an escape sequence', refuses, 'x\x1b[2J.example');
test('a line feed at the end', refuses, 'example.com\n');
test('a NUL inside', refuses, 'exam\0ple.com');
test('the empty name', refuses, '');
test('the root', refuses, '.');
test('a trailing dot', refuses, 'example.com.');
test('a leading dot', refuses, '.example.com');
test('an empty label', refuses, 'a..example');
test('a space', refuses, 'exa mple.com');
test('a label that starts with a hyphen', refuses, '-bad.example');
test('a label that ends with a hyphen', refuses, 'bad-.example');
test('a Unicode name not yet an A-label', refuses, 'bücher.example');
test('an IPv4 address', refuses, '192.0.2.1');
test('a bracketed address literal', refuses, '[192.0.2.1]');
test('an IPv6 address', refuses, '2001:db8::1');
test('a short IPv4 form', refuses, '10.1');
test('a hexadecimal IPv4 form', refuses, '0x7f.0x1');
test('a label of 64 octets', refuses, `${'a'.repeat(64)}.example`);
test('a name of 254 characters', refuses, `${'a.'.repeat(125)}coms`);

test('isValidDomainName accepts every generated host name', (t) => {
  t.notThrows(() => {
    fc.assert(
      fc.property(fc.domain(), (name) => isValidDomainName(name)),
      { numRuns: 2000 },
    );
  });
});

test('isValidDomainName refuses every IP address literal', (t) => {
  const literals = fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6());

  t.notThrows(() => {
    fc.assert(
      fc.property(literals, (name) => !isValidDomainName(name)),
      { numRuns: 2000 },
    );
  });
});

test('isValidDomainName refuses a host name with any other character put in', (t) => {
  const other = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 1 })
    .filter((character) => !/^[a-z0-9._-]$/i.test(character));
  const spliced = fc.tuple(fc.domain(), other, fc.nat()).map(([name, character, at]) => {
    const index = at % (name.length + 1);

    return name.slice(0, index) + character + name.slice(index);
  });

  t.notThrows(() => {
    fc.assert(
      fc.property(spliced, (name) => !isValidDomainName(name)),
      { numRuns: 3000 },
    );
  });
});

test('isValidDomainName takes a joined name only up to 253 characters', (t) => {
  // Medium-sized parts make about one name in twenty short enough and the rest too long.
  const joined = fc
    .array(fc.domain({ size: 'medium' }), { minLength: 2, maxLength: 8 })
    .map((names) => names.join('.'));

  t.notThrows(() => {
    fc.assert(
      fc.property(joined, (name) => isValidDomainName(name) === name.length <= 253),
      { numRuns: 2000 },
    );
  });
});

test('isValidDomainName refuses a single label', (t) => {
  const label = fc.domain().map((name) => name.split('.')[0] ?? '');

  t.notThrows(() => {
    fc.assert(
      fc.property(label, (name) => !isValidDomainName(name)),
      { numRuns: 1000 },
    );
  });
});
