import test from 'ava';
import type { Answer, DecodedPacket } from 'dns-packet';

import { isMatchingReply, normalizeName, query } from '../../src/dns/query.js';
import type { QueryOptions } from '../../src/dns/query.js';
import { replyTo, startFaultServer } from './fault-server.js';
import type { FaultAction, FaultServer } from './fault-server.js';

const MX_QUESTION = { name: 'example.test', type: 'MX' } as const;
const MX_ANSWER: Answer = {
  name: 'example.test',
  type: 'MX',
  ttl: 300,
  data: { preference: 10, exchange: 'mx1.example.test' },
};
const AUTHORITATIVE: QueryOptions = { recursion: false, timeoutMs: 2000 };

function answer(query: DecodedPacket): FaultAction {
  return { reply: replyTo(query, { authoritative: true, answers: [MX_ANSWER] }) };
}

async function withServer<T>(
  handler: Parameters<typeof startFaultServer>[0],
  run: (server: FaultServer) => Promise<T>,
): Promise<T> {
  const server = await startFaultServer(handler);

  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

test('a plain UDP answer is accepted with its records', async (t) => {
  const outcome = await withServer(
    (q) => [answer(q)],
    (server) => query(server, MX_QUESTION, AUTHORITATIVE),
  );

  t.is(outcome.status, 'response');
  t.is(outcome.transport, 'udp');
  t.false(outcome.truncatedUdp);
  t.is(outcome.ignored, 0);
  t.deepEqual(outcome.response?.answers?.[0], { ...MX_ANSWER, class: 'IN', flush: false });
});

const ignoredFirst = test.macro(async (t, before: (query: DecodedPacket) => FaultAction) => {
  const outcome = await withServer(
    (q) => [before(q), answer(q)],
    (server) => query(server, MX_QUESTION, AUTHORITATIVE),
  );

  t.is(outcome.status, 'response');
  t.is(outcome.ignored, 1);
  t.is(outcome.response?.answers?.length, 1);
});

test('a garbage packet is ignored and the real answer after it is taken', ignoredFirst, () => ({
  raw: Buffer.from('this is not a DNS message'),
}));

test(
  'a reply with the wrong ID is ignored and the right one after it is taken',
  ignoredFirst,
  (q) => ({
    reply: replyTo(q, { id: ((q.id ?? 0) + 1) % 65536, authoritative: true, answers: [MX_ANSWER] }),
  }),
);

test(
  'a reply for another name is ignored and the right one after it is taken',
  ignoredFirst,
  (q) => ({
    reply: replyTo(q, { questionName: 'other.test', authoritative: true, answers: [MX_ANSWER] }),
  }),
);

test('a short packet with a valid ID but no header is ignored', ignoredFirst, (q) => ({
  raw: Buffer.from([(q.id ?? 0) >> 8, (q.id ?? 0) & 0xff, 0x81]),
}));

test('the question name is compared without regard to case', async (t) => {
  const outcome = await withServer(
    (q) => [{ reply: replyTo(q, { questionName: 'EXAMPLE.Test', answers: [MX_ANSWER] }) }],
    (server) => query(server, MX_QUESTION, AUTHORITATIVE),
  );

  t.is(outcome.status, 'response');
  t.is(outcome.ignored, 0);
});

test('only replies that do not match end in a bad response, every packet counted', async (t) => {
  const outcome = await withServer(
    (q) => [
      { raw: Buffer.from([0, 1, 2]) },
      { reply: replyTo(q, { id: ((q.id ?? 0) + 7) % 65536 }) },
      { reply: replyTo(q, { questionName: 'example.test.evil' }) },
    ],
    (server) => query(server, MX_QUESTION, { ...AUTHORITATIVE, timeoutMs: 500 }),
  );

  t.is(outcome.status, 'bad-response');
  t.is(outcome.ignored, 3);
  t.is(outcome.response, undefined);
});

const onlyMalformed = test.macro(
  async (t, transport: 'udp' | 'tcp', malformed: (query: DecodedPacket) => FaultAction) => {
    const outcome = await withServer(
      (q) => [malformed(q)],
      (server) =>
        query(server, MX_QUESTION, { ...AUTHORITATIVE, timeoutMs: 500, tcp: transport === 'tcp' }),
    );

    t.is(outcome.status, 'bad-response');
    t.is(outcome.transport, transport);
    t.is(outcome.ignored, 1);
  },
);

/** A response header with the query's ID and the given counts, and `rest` after it. */
function rawReply(q: DecodedPacket, counts: readonly number[], rest: readonly number[]): Buffer {
  const header = Buffer.alloc(12);

  header.writeUInt16BE(q.id ?? 0, 0);
  header.writeUInt16BE(0x8400, 2);
  counts.forEach((value, index) => header.writeUInt16BE(value, 4 + 2 * index));

  return Buffer.concat([header, Buffer.from(rest)]);
}

const MALFORMED: readonly [string, (query: DecodedPacket) => FaultAction][] = [
  ['random bytes', () => ({ raw: Buffer.from('\x13\x37 random bytes, not DNS at all') })],
  ['a wrong ID', (q) => ({ reply: replyTo(q, { id: ((q.id ?? 0) + 1) % 65536 }) })],
  ['an answer for another name', (q) => ({ reply: replyTo(q, { questionName: 'other.test' }) })],
  // The question name is a compression pointer to itself (RFC 1035 §4.1.4).
  [
    'a compression pointer loop',
    (q) => ({ raw: rawReply(q, [1, 0, 0, 0], [0xc0, 12, 0, 15, 0, 1]) }),
  ],
  ['an answer count of 65535 with no records', (q) => ({ raw: rawReply(q, [0, 65535, 0, 0], []) })],
];

for (const [what, malformed] of MALFORMED) {
  for (const transport of ['udp', 'tcp'] as const) {
    test(
      `a wait that saw only ${what} over ${transport.toUpperCase()} ends as a bad response`,
      onlyMalformed,
      transport,
      malformed,
    );
  }
}

test('a truncated UDP reply is asked again over TCP', async (t) => {
  const outcome = await withServer(
    (q, transport) =>
      transport === 'udp' ? [{ reply: replyTo(q, { truncated: true }) }] : [answer(q)],
    async (server) => {
      const result = await query(server, MX_QUESTION, AUTHORITATIVE);

      t.deepEqual(server.received, { udp: 1, tcp: 1 });

      return result;
    },
  );

  t.is(outcome.status, 'response');
  t.is(outcome.transport, 'tcp');
  t.true(outcome.truncatedUdp);
  t.is(outcome.response?.answers?.length, 1);
});

test('a reply truncated over TCP too ends as a truncation loop', async (t) => {
  const outcome = await withServer(
    (q) => [{ reply: replyTo(q, { truncated: true }) }],
    (server) => query(server, MX_QUESTION, AUTHORITATIVE),
  );

  t.is(outcome.status, 'truncated');
  t.is(outcome.transport, 'tcp');
  t.true(outcome.truncatedUdp);
});

test('TCP silence after a truncated UDP reply is a TCP timeout', async (t) => {
  const outcome = await withServer(
    (q, transport) => (transport === 'udp' ? [{ reply: replyTo(q, { truncated: true }) }] : []),
    (server) => query(server, MX_QUESTION, { ...AUTHORITATIVE, timeoutMs: 1500 }),
  );

  t.is(outcome.status, 'tcp-timeout');
  t.is(outcome.transport, 'tcp');
});

test('a silent server is asked once per attempt and ends in a timeout', async (t) => {
  await withServer(
    () => [],
    async (server) => {
      const outcome = await query(server, MX_QUESTION, {
        ...AUTHORITATIVE,
        timeoutMs: 500,
        attempts: 3,
      });

      t.is(outcome.status, 'timeout');
      t.is(server.received.udp, 3);
    },
  );
});

test('a reply sent from another port is not accepted', async (t) => {
  const outcome = await withServer(
    (q) => [{ replyFromOtherPort: replyTo(q, { authoritative: true, answers: [MX_ANSWER] }) }],
    (server) => query(server, MX_QUESTION, { ...AUTHORITATIVE, timeoutMs: 500 }),
  );

  t.is(outcome.status, 'timeout');
  t.is(outcome.response, undefined);
});

test('a port where nothing listens is unreachable, not a timeout', async (t) => {
  const server = await startFaultServer(() => []);
  const closed = { address: server.address, port: server.port };

  await server.close();

  const udp = await query(closed, MX_QUESTION, { ...AUTHORITATIVE, timeoutMs: 2000 });
  const tcp = await query(closed, MX_QUESTION, { ...AUTHORITATIVE, timeoutMs: 2000, tcp: true });

  t.is(udp.status, 'unreachable');
  t.is(udp.error, 'ECONNREFUSED');
  t.is(tcp.status, 'unreachable');
  t.is(tcp.error, 'ECONNREFUSED');
});

test('a TCP stream of garbage that ends is a bad response', async (t) => {
  const outcome = await withServer(
    () => [{ raw: Buffer.from('garbage garbage') }, { endConnection: true }],
    (server) => query(server, MX_QUESTION, { ...AUTHORITATIVE, tcp: true, timeoutMs: 2000 }),
  );

  t.is(outcome.status, 'bad-response');
  t.is(outcome.ignored, 1);
});

test('a TCP connection closed without any reply is unreachable', async (t) => {
  const outcome = await withServer(
    () => [{ endConnection: true }],
    (server) => query(server, MX_QUESTION, { ...AUTHORITATIVE, tcp: true, timeoutMs: 2000 }),
  );

  t.is(outcome.status, 'unreachable');
  t.is(outcome.ignored, 0);
});

test('the query carries RD with AD, CD, DO and an EDNS0 buffer of 1232 bytes as asked', async (t) => {
  await withServer(
    (q) => [answer(q)],
    async (server) => {
      await query(server, MX_QUESTION, {
        recursion: true,
        checkingDisabled: true,
        dnssecOk: true,
        timeoutMs: 2000,
      });
      await query(server, MX_QUESTION, { recursion: false, edns: false, timeoutMs: 2000 });

      const [first, second] = server.queries;
      const opt = first?.additionals?.find((record) => record.type === 'OPT');

      t.true(first?.flag_rd);
      t.true(first?.flag_ad);
      t.true(first?.flag_cd);
      t.deepEqual(opt && 'udpPayloadSize' in opt ? [opt.udpPayloadSize, opt.flag_do] : [], [
        1232,
        true,
      ]);
      t.false(second?.flag_rd);
      t.false(second?.flag_ad);
      t.false(second?.flag_cd);
      t.is(second?.additionals?.length, 0);
    },
  );
});

test('a FORMERR without a question section is accepted as the reply', async (t) => {
  const outcome = await withServer(
    (q) => [{ reply: { ...replyTo(q, { rcode: 'FORMERR' }), questions: [] } }],
    (server) => query(server, MX_QUESTION, AUTHORITATIVE),
  );

  t.is(outcome.status, 'response');
  t.is((outcome.response as { rcode?: string } | undefined)?.rcode, 'FORMERR');
});

test('an aborted query stops waiting and says so', async (t) => {
  const controller = new AbortController();

  const outcome = await withServer(
    () => {
      controller.abort();

      return [];
    },
    (server) =>
      query(server, MX_QUESTION, {
        ...AUTHORITATIVE,
        timeoutMs: 60_000,
        signal: controller.signal,
      }),
  );

  t.is(outcome.status, 'timeout');
  t.true(outcome.aborted);
});

test('a matching reply needs the same ID, name, type and class', (t) => {
  const base = {
    type: 'response' as const,
    id: 7,
    questions: [{ name: 'Example.TEST.', type: 'MX' as const, class: 'IN' as const }],
  } as DecodedPacket;

  t.true(isMatchingReply(base, 7, MX_QUESTION));
  t.false(isMatchingReply(base, 8, MX_QUESTION));
  t.false(isMatchingReply({ ...base, type: 'query' }, 7, MX_QUESTION));
  t.false(isMatchingReply(base, 7, { name: 'example.test', type: 'A' }));
  t.false(
    isMatchingReply(
      { ...base, questions: [{ name: 'example.test', type: 'MX', class: 'CH' }] },
      7,
      MX_QUESTION,
    ),
  );
});

test('names are compared lower-case without the trailing dot, the root stays a dot', (t) => {
  t.is(normalizeName('MX1.Example.TEST.'), 'mx1.example.test');
  t.is(normalizeName('.'), '.');
});

test('a server the system has no route to is unreachable, not a crash', async (t) => {
  // A link-local address on the loopback interface, which has none: connect() fails at once
  // with ENETUNREACH, before any packet is sent. An IPv6 root server on an IPv4-only host fails
  // the same way.
  const outcome = await query({ address: 'fe80::1%lo', port: 53 }, MX_QUESTION, {
    ...AUTHORITATIVE,
    timeoutMs: 500,
  });

  t.is(outcome.status, 'unreachable');
  t.is(outcome.error, 'ENETUNREACH');
});
