// The walk from the root against real servers: NSD for the lab's root, TLD, provider and lame
// server (test/helpers/dns-lab.ts). What real servers will not do on demand (EDNS rejection,
// silence, loops, upward referrals) is in iterate.test.ts.

import test from 'ava';

import { createIterativeResolver } from '../../src/dns/iterate.js';
import type { IterativeResolver } from '../../src/dns/iterate.js';
import type { Probe } from '../../src/model.js';
import { labPerFile } from '../helpers/dns-lab.js';

const { labTest, started } = labPerFile(test);

/** The lab's 127.x.y prefix. */
function net(): string {
  return started().root.address.replace(/\.1$/, '');
}

/** A fresh resolver for each test, so no test profits from another's cache. */
function newResolver(): IterativeResolver {
  return createIterativeResolver([started().root], { timeoutMs: 2000, attempts: 1 });
}

function collect(): { probes: Probe[]; sink: (probe: Probe) => void } {
  const probes: Probe[] = [];

  return { probes, sink: (probe) => probes.push(probe) };
}

labTest('the walk follows referrals with glue down to the domain', async (t) => {
  const { probes, sink } = collect();
  const search = await newResolver().findZone('AlpineSkiHouse.TEST.', sink);

  t.is(search.status, 'delegated');
  t.is(search.cut?.zone, 'alpineskihouse.test');
  t.is(search.cut?.parentZone, 'test');
  t.deepEqual(search.cut?.path, ['.', 'test', 'alpineskihouse.test']);
  t.false(search.cut?.signedAtParent);
  t.deepEqual(
    search.cut?.servers.map((server) => [
      server.name,
      server.source,
      server.inBailiwick,
      server.addresses,
    ]),
    [
      ['ns1.alpineskihouse.test', 'glue', true, [{ address: `${net()}.5`, port: 53 }]],
      ['ns2.alpineskihouse.test', 'glue', true, [{ address: `${net()}.3`, port: 53 }]],
    ],
  );
  t.deepEqual(
    probes.map((probe) => [probe.role, probe.server, probe.result]),
    [
      ['iterative', `${net()}.1:53`, 'referral'],
      ['iterative', `${net()}.2:53`, 'referral'],
    ],
  );
});

labTest('a referral with DS records is a zone signed at its parent', async (t) => {
  const resolver = newResolver();
  const signed = await resolver.findZone(started().domains.signed, () => undefined);
  const unsigned = await resolver.findZone(started().domains.working, () => undefined);

  t.is(signed.cut?.zone, 'relecloud.test');
  t.true(signed.cut?.signedAtParent);
  t.is(unsigned.cut?.zone, 'woodgrove.test');
  t.false(unsigned.cut?.signedAtParent);
});

labTest('NXDOMAIN from the TLD is the parent saying the domain does not exist', async (t) => {
  const search = await newResolver().findZone(started().domains.nxdomain, () => undefined);

  t.is(search.status, 'nxdomain');
  t.is(search.cut?.zone, 'test');
});

labTest(
  'a name server outside the zone and without glue is resolved by its own walk',
  async (t) => {
    const resolver = newResolver();
    const search = await resolver.findZone(
      started().domains.nameServerWithoutGlue,
      () => undefined,
    );

    t.is(search.status, 'delegated');

    const cut = search.cut!;

    await resolver.completeServers(cut, () => undefined);

    const [server] = cut.servers;

    t.is(server?.source, 'resolved');
    t.false(server?.inBailiwick);
    t.is(server?.resolution, 'answer');
    t.deepEqual(server?.addresses, [{ address: `${net()}.3`, port: 53 }]);
  },
);

labTest('a lame server (REFUSED) is passed over for the next name server', async (t) => {
  const { probes, sink } = collect();
  const answer = await newResolver().resolveAddress('mx1.alpineskihouse.test', 'A', sink);

  t.deepEqual(answer, { result: 'answer', addresses: [`${net()}.111`] });
  t.deepEqual(
    probes.slice(-2).map((probe) => [probe.server, probe.serverName, probe.result]),
    [
      [`${net()}.5:53`, 'ns1.alpineskihouse.test', 'refused'],
      [`${net()}.3:53`, 'ns2.alpineskihouse.test', 'answer'],
    ],
  );
});

labTest('an alias inside the zone resolves with the alias named', async (t) => {
  const answer = await newResolver().resolveAddress('alias.woodgrove.test', 'A', () => undefined);

  t.deepEqual(answer, {
    result: 'answer',
    addresses: [`${net()}.103`],
    cname: 'mx1.woodgrove.test',
  });
});

labTest('an alias into a zone on another server is followed there', async (t) => {
  const { probes, sink } = collect();
  const answer = await newResolver().resolveAddress('far.woodgrove.test', 'A', sink);

  t.deepEqual(answer, { result: 'answer', addresses: [`${net()}.112`], cname: 'mx.nic.test' });
  t.deepEqual(
    probes.slice(-2).map((probe) => [probe.server, probe.question.name, probe.result]),
    [
      [`${net()}.3:53`, 'far.woodgrove.test', 'answer'],
      [`${net()}.2:53`, 'mx.nic.test', 'answer'],
    ],
  );
});

labTest(
  'a name that exists without the asked type is NODATA, an absent one NXDOMAIN',
  async (t) => {
    const resolver = newResolver();

    t.deepEqual(await resolver.resolveAddress('mx1.woodgrove.test', 'AAAA', () => undefined), {
      result: 'nodata',
      addresses: [],
    });
    t.deepEqual(await resolver.resolveAddress('nothing.woodgrove.test', 'A', () => undefined), {
      result: 'nxdomain',
      addresses: [],
    });
  },
);

labTest('zone cuts learnt once are reused without asking the root again', async (t) => {
  const resolver = newResolver();
  const second = collect();

  await resolver.findZone(started().domains.working, () => undefined);
  await resolver.resolveAddress('mx1.woodgrove.test', 'A', second.sink);

  t.deepEqual(
    second.probes.map((probe) => [probe.server, probe.result]),
    [[`${net()}.3:53`, 'answer']],
  );
});

labTest(
  'name servers that need each other to be found end unresolved instead of looping',
  async (t) => {
    const resolver = newResolver();
    const search = await resolver.findZone('circular-a.test', () => undefined);

    await resolver.completeServers(search.cut!, () => undefined);

    t.is(search.status, 'delegated');
    t.deepEqual(
      search.cut?.servers.map((server) => [server.name, server.source, server.addresses.length]),
      [['ns.circular-b.test', 'unresolved', 0]],
    );
    // Neither name can be found without the other: the zone's data fails, no server is down.
    t.is(search.cut?.servers[0]?.resolution, 'servfail');
  },
);

labTest('a name server inside its zone without glue stays unresolved', async (t) => {
  const resolver = newResolver();
  const search = await resolver.findZone('no-glue.test', () => undefined);

  await resolver.completeServers(search.cut!, () => undefined);

  t.deepEqual(
    search.cut?.servers.map((server) => [server.name, server.source, server.inBailiwick]),
    [['ns.no-glue.test', 'unresolved', true]],
  );
});

labTest('a server found down is not asked again in the same run', async (t) => {
  const resolver = newResolver();
  const first = collect();
  const second = collect();
  const down = [`${net()}.21:53`, `${net()}.22:53`];

  const firstAnswer = await resolver.resolveAddress('mx.northwind.test', 'A', first.sink);
  const secondAnswer = await resolver.resolveAddress('www.northwind.test', 'A', second.sink);

  t.is(firstAnswer.result, 'unreachable');
  t.deepEqual(
    first.probes.slice(-2).map((probe) => [probe.server, probe.result]),
    down.map((server) => [server, 'unreachable']),
  );
  t.is(secondAnswer.result, 'timeout');
  t.false(second.probes.some((probe) => down.includes(probe.server)));
});

labTest('a TLD whose servers are all down stops the walk with the zone named', async (t) => {
  const search = await newResolver().findZone('example.gone', () => undefined);

  t.is(search.status, 'failed');
  t.is(search.cut?.zone, 'gone');
  t.is(search.reason, `no server of zone gone answered: ${net()}.24:53 unreachable`);
});
