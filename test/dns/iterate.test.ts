import test from 'ava';

import { createIterativeResolver } from '../../src/dns/iterate.js';
import type { Probe } from '../../src/model.js';
import { replyTo } from './fault-server.js';
import type { FaultHandler } from './fault-server.js';
import { a, cname, ds, mx, ns, randomNet, serveZones, startTree } from './fake-zones.js';
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
          ns('gone', 'ns.gone'),
          a('ns.gone', `${net}.11`),
        ],
      },
    ]),
    2: serveZones([
      {
        name: 'test',
        records: [
          ns('example.test', 'ns1.example.test'),
          ns('example.test', 'ns2.example.test'),
          a('ns1.example.test', `${net}.4`),
          a('ns2.example.test', `${net}.3`),
          ds('example.test'),
          ns('provider-user.test', 'ns1.provider.net'),
          // Glue from outside the TLD's own zone: a resolver must not believe it.
          a('ns1.provider.net', `${net}.99`),
          ns('loopa.test', 'ns.loopb.test'),
          ns('loopb.test', 'ns.loopa.test'),
          ns('noglue.test', 'ns.noglue.test'),
          ns('dead.test', 'ns.dead.test'),
          a('ns.dead.test', `${net}.9`),
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
          mx('example.test', 10, 'mx1.example.test'),
          a('mx1.example.test', `${net}.50`),
          cname('alias.example.test', 'mx1.example.test'),
          cname('far.example.test', 'mx.provider.net'),
          cname('loop.example.test', 'loop2.example.test'),
          cname('loop2.example.test', 'loop.example.test'),
        ],
      },
    ]),
    4: (query) => [{ reply: replyTo(query, { rcode: 'REFUSED' }) }],
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

test('the walk follows referrals with glue down to the domain and keeps the port it started on', async (t) => {
  const { probes, sink } = collect();
  const search = await newResolver().findZone('Example.TEST.', sink);

  t.is(search.status, 'delegated');
  t.is(search.cut?.zone, 'example.test');
  t.is(search.cut?.parentZone, 'test');
  t.deepEqual(search.cut?.path, ['.', 'test', 'example.test']);
  t.true(search.cut?.signedAtParent);
  t.deepEqual(
    search.cut?.servers.map((server) => [
      server.name,
      server.source,
      server.inBailiwick,
      server.addresses,
    ]),
    [
      ['ns1.example.test', 'glue', true, [{ address: `${net}.4`, port: tree.port }]],
      ['ns2.example.test', 'glue', true, [{ address: `${net}.3`, port: tree.port }]],
    ],
  );
  t.deepEqual(
    probes.map((probe) => [probe.role, probe.server, probe.result]),
    [
      ['iterative', `${net}.1:${tree.port}`, 'referral'],
      ['iterative', `${net}.2:${tree.port}`, 'referral'],
    ],
  );
});

test('NXDOMAIN from the TLD is the parent saying the domain does not exist', async (t) => {
  const search = await newResolver().findZone('missing.test', () => undefined);

  t.is(search.status, 'nxdomain');
  t.is(search.cut?.zone, 'test');
});

test('a name server outside the zone is resolved from the root and outside glue is ignored', async (t) => {
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

test('a lame server (REFUSED) is passed over for the next name server', async (t) => {
  const { probes, sink } = collect();
  const answer = await newResolver().resolveAddress('mx1.example.test', 'A', sink);

  t.deepEqual(answer, { result: 'answer', addresses: [`${net}.50`] });
  t.deepEqual(
    probes.slice(-2).map((probe) => [probe.server, probe.serverName, probe.result]),
    [
      [`${net}.4:${tree.port}`, 'ns1.example.test', 'refused'],
      [`${net}.3:${tree.port}`, 'ns2.example.test', 'answer'],
    ],
  );
});

test('an alias inside the zone resolves with the alias named', async (t) => {
  const answer = await newResolver().resolveAddress('alias.example.test', 'A', () => undefined);

  t.deepEqual(answer, { result: 'answer', addresses: [`${net}.50`], cname: 'mx1.example.test' });
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

test('an alias to another zone is followed from the root', async (t) => {
  const answer = await newResolver().resolveAddress('far.example.test', 'A', () => undefined);

  t.deepEqual(answer, { result: 'answer', addresses: [`${net}.51`], cname: 'mx.provider.net' });
});

test('a name that exists without the asked type is NODATA, an absent one NXDOMAIN', async (t) => {
  const resolver = newResolver();

  t.deepEqual(await resolver.resolveAddress('mx1.example.test', 'AAAA', () => undefined), {
    result: 'nodata',
    addresses: [],
  });
  t.deepEqual(await resolver.resolveAddress('nothing.example.test', 'A', () => undefined), {
    result: 'nxdomain',
    addresses: [],
  });
});

test('name servers that need each other to be found end unresolved instead of looping', async (t) => {
  const resolver = newResolver();
  const search = await resolver.findZone('loopa.test', () => undefined);

  await resolver.completeServers(search.cut!, () => undefined);

  t.is(search.status, 'delegated');
  t.deepEqual(
    search.cut?.servers.map((server) => [server.name, server.source, server.addresses.length]),
    [['ns.loopb.test', 'unresolved', 0]],
  );
  t.truthy(search.cut?.servers[0]?.resolution);
});

test('name servers left unresolved by the query limit say that the limit was reached', async (t) => {
  const resolver = newResolver();
  const search = await resolver.findZone('wide.test', () => undefined);

  await resolver.completeServers(search.cut!, () => undefined);

  const stopped = search.cut?.servers.filter((server) => server.stopped !== undefined) ?? [];

  t.true(stopped.length > 0);
  t.true(stopped.every((server) => server.addresses.length === 0));
  t.is(stopped[0]?.stopped, 'the query limit was reached (more than 120 queries)');
});

test('a name server inside its zone without glue stays unresolved', async (t) => {
  const resolver = newResolver();
  const search = await resolver.findZone('noglue.test', () => undefined);

  await resolver.completeServers(search.cut!, () => undefined);

  t.deepEqual(
    search.cut?.servers.map((server) => [server.name, server.source, server.inBailiwick]),
    [['ns.noglue.test', 'unresolved', true]],
  );
});

test('a server found silent is not asked again in the same run', async (t) => {
  const resolver = newResolver();
  const first = collect();
  const second = collect();

  const firstAnswer = await resolver.resolveAddress('mx.dead.test', 'A', first.sink);
  const secondAnswer = await resolver.resolveAddress('www.dead.test', 'A', second.sink);

  t.is(firstAnswer.result, 'unreachable');
  t.true(first.probes.some((probe) => probe.server === `${net}.9:${tree.port}`));
  t.is(secondAnswer.result, 'timeout');
  t.false(second.probes.some((probe) => probe.server === `${net}.9:${tree.port}`));
});

test('a referral back to the root is an upward referral, not followed', async (t) => {
  const { probes, sink } = collect();
  const answer = await newResolver().resolveAddress('upward.test', 'A', sink);

  t.is(answer.result, 'upward-referral');
  t.is(probes.at(-1)?.result, 'upward-referral');
});

test('a TLD whose servers are all down stops the walk with the zone named', async (t) => {
  const search = await newResolver().findZone('example.gone', () => undefined);

  t.is(search.status, 'failed');
  t.is(search.cut?.zone, 'gone');
  t.regex(search.reason ?? '', /no server of zone gone answered: .*unreachable/);
});

test('zone cuts learnt once are reused without asking the root again', async (t) => {
  const resolver = newResolver();
  const second = collect();

  await resolver.findZone('example.test', () => undefined);
  await resolver.resolveAddress('mx1.example.test', 'A', second.sink);

  t.false(second.probes.some((probe) => probe.server.startsWith(`${net}.1:`)));
  t.false(second.probes.some((probe) => probe.server.startsWith(`${net}.2:`)));
});

test('with no root servers the walk is skipped', async (t) => {
  const resolver = createIterativeResolver([], { timeoutMs: 100 });
  const search = await resolver.findZone('example.test', () => undefined);

  t.is(search.status, 'skipped');
  t.regex(search.reason ?? '', /no root servers/);
});
