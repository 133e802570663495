import test from 'ava';

import { buildMxView, isIpLiteral, isNullMxSet } from '../../src/dns/mx.js';
import type { AddressLookups } from '../../src/dns/mx.js';
import type { AddressLookup } from '../../src/dns/types.js';

const RESOLVES: AddressLookup = {
  status: 'resolves',
  addresses: ['127.0.0.101'],
  results: ['answer', 'nodata'],
};
const NXDOMAIN: AddressLookup = {
  status: 'nxdomain',
  addresses: [],
  results: ['nxdomain', 'nxdomain'],
};
const FAILED: AddressLookup = {
  status: 'failed',
  addresses: [],
  results: ['servfail', 'servfail'],
};
const ALIAS: AddressLookup = {
  status: 'cname',
  addresses: ['127.0.0.101'],
  cnameTarget: 'mx.provider.test',
  results: ['answer', 'nodata'],
};

/** Look-ups answering from fixed tables, remembering which names were asked. */
function tables(
  local: Record<string, AddressLookup>,
  iterative: Record<string, AddressLookup>,
): AddressLookups & { asked: string[] } {
  const asked: string[] = [];

  return {
    asked,
    local: async (name) => {
      asked.push(name);

      return local[name];
    },
    iterative: async (name) => iterative[name],
  };
}

test('MX records are sorted by preference and each host is looked up once', async (t) => {
  const lookups = tables({ 'mx1.example.test': RESOLVES, 'mx2.example.test': RESOLVES }, {});
  const view = await buildMxView(
    'example.test',
    {
      authoritative: {
        result: 'answer',
        records: [
          { preference: 20, exchange: 'mx2.example.test' },
          { preference: 10, exchange: 'mx1.example.test' },
          { preference: 30, exchange: 'mx1.example.test' },
        ],
      },
    },
    lookups,
  );

  t.is(view.source, 'authoritative');
  t.deepEqual(
    view.records.map((record) => record.preference),
    [10, 20, 30],
  );
  t.deepEqual(
    view.hosts.map((host) => [host.name, host.preference, host.status]),
    [
      ['mx1.example.test', 10, 'resolves'],
      ['mx2.example.test', 20, 'resolves'],
    ],
  );
  t.deepEqual(lookups.asked, ['mx1.example.test', 'mx2.example.test']);
});

test('a single MX 0 . is a null MX with no host to look up', async (t) => {
  const lookups = tables({}, {});
  const view = await buildMxView(
    'wingtip.test',
    { authoritative: { result: 'answer', records: [{ preference: 0, exchange: '.' }] } },
    lookups,
  );

  t.true(view.isNullMx);
  t.deepEqual(view.hosts, []);
  t.deepEqual(lookups.asked, []);
});

test('an MX host written as an address is an IP literal and is not looked up', async (t) => {
  const lookups = tables({}, {});
  const view = await buildMxView(
    'wideworldimporters.test',
    { local: { result: 'answer', records: [{ preference: 10, exchange: '127.0.0.25' }] } },
    lookups,
  );

  t.is(view.source, 'local');
  t.deepEqual(view.hosts, [
    { name: '127.0.0.25', preference: 10, isIpLiteral: true, status: 'ip-literal' },
  ]);
  t.deepEqual(lookups.asked, []);
});

test('an alias on either path marks the host as a CNAME', async (t) => {
  const view = await buildMxView(
    'cohowinery.test',
    {
      authoritative: {
        result: 'answer',
        records: [{ preference: 10, exchange: 'mail.cohowinery.test' }],
      },
    },
    tables({ 'mail.cohowinery.test': RESOLVES }, { 'mail.cohowinery.test': ALIAS }),
  );

  t.is(view.hosts[0]?.status, 'cname');
  t.is(view.hosts[0]?.iterative?.cnameTarget, 'mx.provider.test');
});

test('a host that resolves on one path counts as resolving; NXDOMAIN beats a failure', async (t) => {
  const view = await buildMxView(
    'example.test',
    {
      authoritative: {
        result: 'answer',
        records: [
          { preference: 10, exchange: 'a.example.test' },
          { preference: 20, exchange: 'b.example.test' },
        ],
      },
    },
    tables(
      { 'a.example.test': FAILED, 'b.example.test': FAILED },
      { 'a.example.test': RESOLVES, 'b.example.test': NXDOMAIN },
    ),
  );

  t.deepEqual(
    view.hosts.map((host) => host.status),
    ['resolves', 'nxdomain'],
  );
});

test('with no MX records the domain address is looked up as the implicit MX', async (t) => {
  const view = await buildMxView(
    'tailspin.test',
    { authoritative: { result: 'nodata', records: [] }, local: { result: 'answer', records: [] } },
    tables(
      { 'tailspin.test': FAILED },
      { 'tailspin.test': { status: 'nodata', addresses: [], results: ['nodata', 'nodata'] } },
    ),
  );

  t.is(view.source, 'authoritative');
  t.is(view.result, 'nodata');
  t.is(view.implicit?.status, 'nodata');
});

test('the implicit MX falls back to the local look-up when the walk failed', async (t) => {
  const view = await buildMxView(
    'example.test',
    { reference: { result: 'nodata', records: [] } },
    tables({ 'example.test': RESOLVES }, { 'example.test': FAILED }),
  );

  t.is(view.source, 'reference');
  t.is(view.implicit?.status, 'resolves');
});

test('NXDOMAIN has no implicit MX, and no finding at all is source none', async (t) => {
  const missing = await buildMxView(
    'adventure-works.test',
    { local: { result: 'nxdomain', records: [] } },
    tables({}, {}),
  );
  const unknown = await buildMxView('northwind.test', {}, tables({}, {}));

  t.is(missing.result, 'nxdomain');
  t.is(missing.implicit, undefined);
  t.deepEqual(unknown, { source: 'none', records: [], isNullMx: false, hosts: [] });
});

test('null MX needs exactly one record whose exchange is the root', (t) => {
  t.true(isNullMxSet([{ preference: 0, exchange: '.' }]));
  t.false(
    isNullMxSet([
      { preference: 0, exchange: '.' },
      { preference: 10, exchange: 'mx.example.test' },
    ]),
  );
  t.false(isNullMxSet([]));
});

test('IP literals are told apart from host names', (t) => {
  t.deepEqual(
    ['127.0.0.25', '[192.0.2.1]', '2001:db8::25', 'mx1.example.test', '192.0.2.1.example.test'].map(
      isIpLiteral,
    ),
    [true, true, true, false, false],
  );
});
