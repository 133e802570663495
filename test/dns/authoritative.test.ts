import test from 'ava';
import type { DecodedPacket } from 'dns-packet';

import { probeAuthoritative } from '../../src/dns/authoritative.js';
import type { ZoneCut } from '../../src/dns/iterate.js';
import type { Probe } from '../../src/model.js';
import type { ServerAddress } from '../../src/dns/types.js';
import { questionOf, replyTo, startFaultServer } from './fault-server.js';
import type { FaultAction, FaultHandler, FaultServer } from './fault-server.js';
import { cname, mx, ns, soa } from './fake-zones.js';

const OPTIONS = { timeoutMs: 2000, attempts: 1 };

/** An authoritative server for example.test with the given MX target and SOA serial. */
function zoneServer(exchange: string, serial = 1): FaultHandler {
  return (query) => [answer(query, exchange, serial)];
}

function answer(query: DecodedPacket, exchange: string, serial: number): FaultAction {
  const { type } = questionOf(query);
  const records =
    type === 'SOA' ? [soa('example.test', serial)] : [mx('example.test', 10, exchange)];

  return { reply: replyTo(query, { authoritative: true, answers: records }) };
}

function cutOf(servers: readonly [string, ServerAddress][]): ZoneCut {
  return {
    zone: 'example.test',
    parentZone: 'test',
    path: ['.', 'test', 'example.test'],
    servers: servers.map(([name, address]) => ({
      name,
      addresses: [address],
      source: 'glue',
      inBailiwick: true,
      isResolveTried: true,
    })),
    port: 53,
  };
}

async function probeWith(
  handlers: readonly FaultHandler[],
  extra: readonly [string, ServerAddress][] = [],
): Promise<{
  probing: Awaited<ReturnType<typeof probeAuthoritative>>;
  probes: Probe[];
  servers: FaultServer[];
}> {
  const servers = await Promise.all(handlers.map((handler) => startFaultServer(handler)));
  const probes: Probe[] = [];

  try {
    const named = servers.map((server, index): [string, ServerAddress] => [
      `ns${index + 1}.example.test`,
      server,
    ]);
    const probing = await probeAuthoritative(
      cutOf([...named, ...extra]),
      'example.test',
      OPTIONS,
      (probe) => probes.push(probe),
    );

    return { probing, probes, servers };
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}

test('servers that agree give a consensus, their serials and a TCP check', async (t) => {
  const { probing, probes } = await probeWith([
    zoneServer('mx1.example.test', 7),
    zoneServer('mx1.example.test', 7),
  ]);

  t.is(probing.view.answering, 2);
  t.is(probing.view.failing, 0);
  t.true(probing.view.agree);
  t.is(probing.view.consensus, 'answer');
  t.deepEqual(probing.view.serials, [7]);
  t.deepEqual(probing.mx, {
    result: 'answer',
    records: [{ preference: 10, exchange: 'mx1.example.test' }],
  });
  t.deepEqual(
    probing.view.servers.map((server) => [server.mx.transport, server.tcp?.result, server.serial]),
    [
      ['udp', 'answer', 7],
      ['udp', 'answer', 7],
    ],
  );
  t.deepEqual([...probing.reached].sort(), ['ns1.example.test', 'ns2.example.test']);
  t.is(probes.length, 6);
  t.true(probes.every((probe) => probe.role === 'authoritative'));
});

test('servers with different MX records and serials do not agree', async (t) => {
  const { probing } = await probeWith([
    zoneServer('mx1.example.test', 1),
    zoneServer('mx-old.example.test', 2),
  ]);

  t.false(probing.view.agree);
  t.is(probing.view.consensus, undefined);
  t.deepEqual(probing.view.serials, [1, 2]);
});

test('a server where nothing listens is unreachable, is not asked over TCP and is not reached', async (t) => {
  const gone = await startFaultServer(() => []);
  const address = { address: gone.address, port: gone.port };

  await gone.close();

  const { probing } = await probeWith(
    [zoneServer('mx1.example.test')],
    [['ns2.example.test', address]],
  );
  const dead = probing.view.servers[1];

  t.is(probing.view.answering, 1);
  t.is(probing.view.failing, 1);
  t.is(dead?.mx.result, 'unreachable');
  t.is(dead?.soa.result, 'unreachable');
  t.is(dead?.tcp, undefined);
  t.deepEqual([...probing.reached], ['ns1.example.test']);
});

test('a silent server times out on UDP', async (t) => {
  const { probing } = await probeWith([() => []]);

  t.is(probing.view.servers[0]?.mx.result, 'timeout');
  t.is(probing.view.answering, 0);
  t.is(probing.mx, undefined);
});

test('a server that rejects EDNS is asked again without it', async (t) => {
  const ednsIntolerant: FaultHandler = (query) =>
    (query.additionals ?? []).some((record) => record.type === 'OPT')
      ? [{ reply: replyTo(query, { rcode: 'FORMERR' }) }]
      : [answer(query, 'mx1.example.test', 1)];
  const { probing, probes } = await probeWith([ednsIntolerant]);
  const server = probing.view.servers[0];

  t.is(server?.mx.result, 'answer');
  t.true(server?.mx.ednsRetried);
  t.true(server?.soa.ednsRetried);
  t.deepEqual(
    probes
      .filter((probe) => probe.question.type === 'MX')
      .map((probe) => [probe.transport, probe.result]),
    [
      ['udp', 'formerr'],
      ['udp', 'answer'],
      ['tcp', 'answer'],
    ],
  );
});

test('a truncated UDP reply is answered over TCP and marked', async (t) => {
  const truncating: FaultHandler = (query, transport) =>
    transport === 'udp'
      ? [{ reply: replyTo(query, { authoritative: true, truncated: true }) }]
      : [answer(query, 'mx1.example.test', 1)];
  const { probing } = await probeWith([truncating]);
  const server = probing.view.servers[0];

  t.is(server?.mx.result, 'answer');
  t.is(server?.mx.transport, 'tcp');
  t.true(server?.mx.truncatedUdp);
  t.is(server?.tcp, undefined);
});

test('a truncated UDP reply followed by TCP failing keeps both as evidence', async (t) => {
  const truncating: FaultHandler = (query, transport) =>
    transport === 'udp'
      ? [{ reply: replyTo(query, { authoritative: true, truncated: true }) }]
      : [{ endConnection: true }];
  const { probing, probes } = await probeWith([truncating]);
  const server = probing.view.servers[0];

  t.is(server?.mx.result, 'unreachable');
  t.true(server?.mx.truncatedUdp);
  t.deepEqual(
    probes
      .filter((probe) => probe.question.type === 'MX')
      .map((probe) => [probe.transport, probe.result, probe.flags?.includes('tc')]),
    [
      ['udp', 'truncated', true],
      ['tcp', 'unreachable', undefined],
    ],
  );
});

test('a server that answers UDP but not TCP shows a TCP timeout in its TCP check', async (t) => {
  const udpOnly: FaultHandler = (query, transport) =>
    transport === 'udp' ? [answer(query, 'mx1.example.test', 1)] : [];
  const { probing } = await probeWith([udpOnly]);

  t.is(probing.view.servers[0]?.mx.result, 'answer');
  t.is(probing.view.servers[0]?.tcp?.result, 'tcp-timeout');
});

test('lame replies are told apart: REFUSED, no AA, upward referral', async (t) => {
  const { probing } = await probeWith([
    (query) => [{ reply: replyTo(query, { rcode: 'REFUSED' }) }],
    (query) => [
      { reply: replyTo(query, { answers: [mx('example.test', 10, 'mx1.example.test')] }) },
    ],
    (query) => [{ reply: replyTo(query, { authorities: [ns('.', 'a.root-servers.net')] }) }],
  ]);

  t.deepEqual(
    probing.view.servers.map((server) => server.mx.result),
    ['refused', 'not-authoritative', 'upward-referral'],
  );
  t.is(probing.view.answering, 0);
  t.deepEqual([...probing.reached], []);
});

test('NXDOMAIN from every server is a consensus too', async (t) => {
  const nxdomain: FaultHandler = (query) => [
    {
      reply: replyTo(query, {
        authoritative: true,
        rcode: 'NXDOMAIN',
        authorities: [soa('example.test')],
      }),
    },
  ];
  const { probing } = await probeWith([nxdomain, nxdomain]);

  t.is(probing.view.consensus, 'nxdomain');
  t.deepEqual(probing.mx, { result: 'nxdomain', records: [] });
});

test('an alias to another zone is no MX finding, so the resolvers are asked for the records', async (t) => {
  const alias: FaultHandler = (query) => [
    {
      reply: replyTo(query, {
        authoritative: true,
        answers: [cname('example.test', 'mail.other.test')],
      }),
    },
  ];
  const { probing } = await probeWith([alias]);

  t.is(probing.view.servers[0]?.mx.result, 'answer');
  t.deepEqual(probing.view.servers[0]?.mx.records, ['example.test CNAME mail.other.test']);
  t.is(probing.mx, undefined);
});
