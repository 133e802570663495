// The walk against in-process servers, for what real servers will not do on demand: glue for a
// name outside the referring zone (NSD refuses to load such a zone), EDNS rejection, an alias
// loop spread over answers, an upward referral, more name servers than the query limit allows.
// Ordinary walks are tested in iterate-lab.test.ts, against NSD.

import test from 'ava';

import { createIterativeResolver } from '../../src/dns/iterate.js';
import type { Probe } from '../../src/model.js';
import { replyTo } from './fault-server.js';
import type { FaultHandler } from './fault-server.js';
import { a, cname, mx, ns, randomNet, serveZones, startTree } from './fake-zones.js';
import type { FakeTree } from './fake-zones.js';

const net = randomNet();
/** More name servers without glue than one look-up's query limit can resolve. */
const WIDE_NAME_SERVERS = Array.from({ length: 80 }, (_, index) => `ns${index}.wide-ns.test`);
let tree: FakeTree;

test.before(async () => {
  tree = await startTree(net, {
    1: serveZones([
      {
        name: '.',
        records: [
          ns('test', 'ns1.nic.test'),
          a('ns1.nic.test', `${net}.2`),
          ns('net', 'ns.nic.net'),
          a('ns.nic.net', `${net}.6`),
        ],
      },
    ]),
    2: serveZones([
      {
        name: 'test',
        records: [
          ns('example.test', 'ns1.example.test'),
          a('ns1.example.test', `${net}.3`),
          ns('provider-user.test', 'ns1.provider.net'),
          // Glue from outside the TLD's own zone: a resolver must not believe it.
          a('ns1.provider.net', `${net}.99`),
          ns('upward.test', 'ns.upward.test'),
          a('ns.upward.test', `${net}.10`),
          ns('oldedns.test', 'ns.oldedns.test'),
          a('ns.oldedns.test', `${net}.12`),
          ...WIDE_NAME_SERVERS.map((name) => ns('wide.test', name)),
          ns('wide-ns.test', 'ns.wide-ns.test'),
          a('ns.wide-ns.test', `${net}.13`),
        ],
      },
    ]),
    3: serveZones([
      {
        name: 'example.test',
        records: [
          cname('loop.example.test', 'loop2.example.test'),
          cname('loop2.example.test', 'loop.example.test'),
        ],
      },
    ]),
    6: serveZones([
      {
        name: 'net',
        records: [ns('provider.net', 'ns1.provider.net'), a('ns1.provider.net', `${net}.7`)],
      },
    ]),
    7: serveZones([
      {
        name: 'provider.net',
        records: [a('ns1.provider.net', `${net}.7`), a('mx.provider.net', `${net}.51`)],
      },
      { name: 'provider-user.test', records: [mx('provider-user.test', 10, 'mx.provider.net')] },
    ]),
    10: (query) => [
      {
        reply: replyTo(query, {
          authorities: [ns('.', 'a.root')],
          additionals: [a('a.root', `${net}.1`)],
        }),
      },
    ],
    13: serveZones([{ name: 'wide-ns.test', records: [] }]),
    12: withoutEdnsOnly(
      serveZones([{ name: 'oldedns.test', records: [a('mx.oldedns.test', `${net}.52`)] }]),
    ),
  });
});

/** A server that answers FORMERR to any query with EDNS, as pre-RFC 6891 servers do. */
function withoutEdnsOnly(handler: FaultHandler): FaultHandler {
  return (query, transport) =>
    (query.additionals ?? []).some((record) => record.type === 'OPT')
      ? [{ reply: replyTo(query, { rcode: 'FORMERR' }) }]
      : handler(query, transport);
}

test.after.always(async () => {
  await tree.close();
});

function newResolver(): ReturnType<typeof createIterativeResolver> {
  return createIterativeResolver([{ address: `${net}.1`, port: tree.port }], {
    timeoutMs: 2000,
    attempts: 1,
  });
}

function collect(): { probes: Probe[]; sink: (probe: Probe) => void } {
  const probes: Probe[] = [];

  return { probes, sink: (probe) => probes.push(probe) };
}

test('glue outside the referring zone is ignored; the name is walked from the root', async (t) => {
  const { probes, sink } = collect();
  const resolver = newResolver();
  const search = await resolver.findZone('provider-user.test', sink);

  t.is(search.status, 'delegated');

  const cut = search.cut!;

  await resolver.completeServers(cut, sink);

  const [server] = cut.servers;

  t.is(server?.source, 'resolved');
  t.false(server?.inBailiwick);
  t.is(server?.resolution, 'answer');
  t.deepEqual(server?.addresses, [{ address: `${net}.7`, port: tree.port }]);
  t.false(probes.some((probe) => probe.server.startsWith(`${net}.99:`)));
});

test('an alias chain that loops across answers ends as a loop, not as no address', async (t) => {
  const answer = await newResolver().resolveAddress('loop.example.test', 'A', () => undefined);

  t.deepEqual(answer, {
    result: 'servfail',
    addresses: [],
    cname: 'loop2.example.test',
    isAliasLoop: true,
  });
});

test('a server that rejects EDNS is asked again without it during the walk', async (t) => {
  const { probes, sink } = collect();
  const answer = await newResolver().resolveAddress('mx.oldedns.test', 'A', sink);

  t.deepEqual(answer, { result: 'answer', addresses: [`${net}.52`] });
  t.deepEqual(
    probes.slice(-2).map((probe) => [probe.server, probe.result]),
    [
      [`${net}.12:${tree.port}`, 'formerr'],
      [`${net}.12:${tree.port}`, 'answer'],
    ],
  );
});

test('name servers left unresolved by the query limit say the limit was reached', async (t) => {
  const resolver = newResolver();
  const search = await resolver.findZone('wide.test', () => undefined);

  await resolver.completeServers(search.cut!, () => undefined);

  const stopped = search.cut?.servers.filter((server) => server.stopped !== undefined) ?? [];

  t.true(stopped.length > 0);
  t.true(stopped.every((server) => server.addresses.length === 0));
  t.is(stopped[0]?.stopped, 'the query limit was reached (more than 120 queries)');
});

test('a referral back to the root is an upward referral, not followed', async (t) => {
  const { probes, sink } = collect();
  const answer = await newResolver().resolveAddress('upward.test', 'A', sink);

  t.is(answer.result, 'upward-referral');
  t.is(probes.at(-1)?.result, 'upward-referral');
});

test('with no root servers the walk is skipped', async (t) => {
  const resolver = createIterativeResolver([], { timeoutMs: 100 });
  const search = await resolver.findZone('example.test', () => undefined);

  t.is(search.status, 'skipped');
  t.regex(search.reason ?? '', /no root servers/);
});
