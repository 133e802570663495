import test from 'ava';
import { normaliseDomain, type NormalisedDomain } from '../../src/classify/domain.js';

const normalises = test.macro({
  exec(t, input: string, expected: NormalisedDomain) {
    t.deepEqual({ ...normaliseDomain(input) }, expected);
  },
  title: (_provided, input: string, expected: NormalisedDomain) =>
    `normaliseDomain reads ${JSON.stringify(input)} as ${JSON.stringify(expected.domain)}`,
});

test(normalises, 'ann@example.com', { domain: 'example.com' });
test(normalises, '<Ann@Example.COM>', { domain: 'example.com' });
test(normalises, 'ann@example.com.', { domain: 'example.com' });
test(normalises, 'Example.COM.', { domain: 'example.com' });
test(normalises, '"first last"@example.com', { domain: 'example.com' });
test(normalises, '"a@b"@Example.org', { domain: 'example.org' });
test(normalises, ' <bob@example.net> ', { domain: 'example.net' });
test(normalises, 'jörg@bücher.example', {
  domain: 'xn--bcher-kva.example',
  display: 'bücher.example',
});
test(normalises, '<JÖRG@BÜCHER.EXAMPLE.>', {
  domain: 'xn--bcher-kva.example',
  display: 'bücher.example',
});
test(normalises, 'xn--bcher-kva.example', {
  domain: 'xn--bcher-kva.example',
  display: 'bücher.example',
});
test(normalises, 'a@例え。テスト', { domain: 'xn--r8jz45g.xn--zckzah', display: '例え.テスト' });
test(normalises, 'user@[192.0.2.1]', { domain: '[192.0.2.1]' });
test(normalises, '', { domain: '' });
test(normalises, '<>', { domain: '' });
test(normalises, 'ann@', { domain: '' });

test('normaliseDomain groups the Unicode address Postfix logs with the A-label of its DNS error', (t) => {
  const fromAddress = normaliseDomain('jörg@bücher.example');
  const fromError = normaliseDomain('xn--bcher-kva.example');

  t.is(fromAddress.domain, fromError.domain);
  t.is(fromAddress.display, fromError.display);
});

test('normaliseDomain gives the same answer when asked again', (t) => {
  const first = normaliseDomain('Carl@Example.ORG');
  const second = normaliseDomain('Carl@Example.ORG');

  t.deepEqual(second, first);
  t.is(second.domain, 'example.org');
});

test('a name that only looked Unicode (a ligature, a soft hyphen) has no display form', (t) => {
  t.deepEqual(normaliseDomain('a@\ufb00.com'), { domain: 'ff.com' });
  t.deepEqual(normaliseDomain('a@ex\u00adample.test'), { domain: 'example.test' });
});
