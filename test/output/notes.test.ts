import test from 'ava';
import { domainNameLabel, domainRows, outOfOrderNote } from '../../src/output/notes.js';
import { labAnalysis } from './helpers.js';

test('the out-of-order note counts one event in the singular', (t) => {
  const summary = labAnalysis().summary;
  t.true(
    outOfOrderNote({ ...summary, eventsOutOfOrder: 1 }).startsWith(
      '1 delivery event came after its window had closed (the inputs go back in time)',
    ),
  );
  t.true(
    outOfOrderNote({ ...summary, eventsOutOfOrder: 2 }).startsWith(
      '2 delivery events came after their window had closed',
    ),
  );
});

test('affected domains add up every group of a domain, the most failures first', (t) => {
  const rows = domainRows(labAnalysis().groups).map((row) => [
    row.name,
    [...row.causes].join(','),
    row.deferred,
    row.bounced,
    row.expired,
    row.worst.cause,
  ]);

  t.deepEqual(rows, [
    // Each domain's groups added up: proseware.test failed in DNS while our resolver was down,
    // then by policy; its verdict is that of its DNS group, which the re-check judged, though
    // its policy group is busier (so is margie.test's connection group).
    ['proseware.test', 'dns-tempfail,remote-tempfail', 30, 0, 0, 'dns-tempfail'],
    ['margie.test', 'dns-tempfail,connection', 24, 0, 0, 'dns-tempfail'],
    ['northwind.test', 'dns-tempfail,expired', 18, 0, 3, 'dns-tempfail'],
    ['contoso.test', 'dns-tempfail', 15, 0, 0, 'dns-tempfail'],
    ['fourthcoffee.test', 'dns-tempfail', 9, 0, 0, 'dns-tempfail'],
    ['woodgrove.test', 'dns-tempfail', 6, 0, 0, 'dns-tempfail'],
    ['sender.test', 'dns-tempfail', 5, 0, 0, 'dns-tempfail'],
    // Ties by name.
    ['adventure-works.test', 'dns-notfound', 0, 3, 0, 'dns-notfound'],
    ['litware.test', 'mx-unresolvable', 0, 3, 0, 'mx-unresolvable'],
    ['lucerne.test', 'remote-reject', 0, 3, 0, 'remote-reject'],
    ['tailspin.test', 'dns-nodata', 0, 3, 0, 'dns-nodata'],
    ['wingtip.test', 'null-mx', 0, 3, 0, 'null-mx'],
  ]);
});

test('a domain that is no plain name is quoted, so it cannot read as text or as another', (t) => {
  const shown = (domain: string, unicode?: string) => domainNameLabel(domain, unicode);

  t.is(shown('northwind.test'), 'northwind.test');
  t.is(shown('xn--bcher-kva.test', 'bücher.test'), 'xn--bcher-kva.test (bücher.test)');
  t.is(shown('[192.0.2.1]'), '[192.0.2.1]');
  t.is(shown('ok.test: 99 failed attempts'), '"ok.test: 99 failed attempts"');
  t.is(shown('a\u00a0b.test'), '"a\u00a0b.test"');
  t.is(shown('north\u001b[31mwind.test'), '"north\\u001b[31mwind.test"');
  t.is(shown('"north\\u001b[31mwind.test"'), '"\\"north\\\\u001b[31mwind.test\\""');
});
