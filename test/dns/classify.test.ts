import test from 'ava';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, RecordType } from 'dns-packet';

import {
  classifyOutcome,
  extractAddresses,
  extractMx,
  findReferral,
  formatRecord,
  toProbe,
  toReply,
} from '../../src/dns/classify.js';
import type { ClassifyContext } from '../../src/dns/classify.js';
import type { QueryOutcome } from '../../src/dns/query.js';
import type { ProbeResult } from '../../src/dns/types.js';
import { replyTo } from './fault-server.js';
import type { ReplyParts } from './fault-server.js';
import { a, cname, ds, mx, ns, soa } from './fake-zones.js';

const SERVER = { address: '127.0.0.1', port: 53 };

/** A reply as it comes off the wire: encoded by dns-packet and decoded again. */
function outcomeOf(name: string, type: RecordType, parts: ReplyParts): QueryOutcome {
  const query = dnsPacket.decode(
    dnsPacket.encode({ type: 'query', id: 1, questions: [{ name, type, class: 'IN' }] }),
  );
  const response = dnsPacket.decode(dnsPacket.encode(replyTo(query, parts)));

  return {
    server: SERVER,
    question: { name, type },
    status: 'response',
    response,
    transport: 'udp',
    truncatedUdp: false,
    ms: 3,
    ignored: 0,
  };
}

const AUTH: ClassifyContext = { authoritative: true, zone: 'example.test' };
const RECURSIVE: ClassifyContext = { authoritative: false };

const classifies = test.macro({
  exec(t, parts: ReplyParts, context: ClassifyContext, expected: ProbeResult) {
    t.is(classifyOutcome(outcomeOf('example.test', 'MX', parts), context), expected);
  },
  title: (given, _parts, _context, expected) => `${given ?? ''} is ${expected}`.trim(),
});

const mxAnswer = [mx('example.test', 10, 'mx1.example.test')];

test(
  'an AA reply with MX records',
  classifies,
  { authoritative: true, answers: mxAnswer },
  AUTH,
  'answer',
);
test(
  'an AA reply with only a CNAME for the name',
  classifies,
  { authoritative: true, answers: [cname('example.test', 'other.test')] },
  AUTH,
  'answer',
);
test(
  'an AA reply without records',
  classifies,
  { authoritative: true, authorities: [soa('example.test')] },
  AUTH,
  'nodata',
);
test('an AA NXDOMAIN', classifies, { authoritative: true, rcode: 'NXDOMAIN' }, AUTH, 'nxdomain');
test(
  'an answer without AA from a server that should be authoritative',
  classifies,
  { answers: mxAnswer },
  AUTH,
  'not-authoritative',
);
test('an empty NOERROR without AA and without referral', classifies, {}, AUTH, 'not-authoritative');
test('SERVFAIL', classifies, { rcode: 'SERVFAIL' }, AUTH, 'servfail');
test('REFUSED', classifies, { rcode: 'REFUSED' }, AUTH, 'refused');
test('FORMERR', classifies, { rcode: 'FORMERR' }, AUTH, 'formerr');
test('NOTIMP', classifies, { rcode: 'NOTIMP' }, AUTH, 'notimp');
test(
  'a referral to the root from a zone server',
  classifies,
  { authorities: [ns('.', 'a.root-servers.net')] },
  AUTH,
  'upward-referral',
);
test(
  'a referral to the parent zone',
  classifies,
  { authorities: [ns('test', 'ns1.nic.test')] },
  AUTH,
  'upward-referral',
);
test(
  'a referral to the asked zone itself',
  classifies,
  { authorities: [ns('example.test', 'ns1.example.test')] },
  AUTH,
  'upward-referral',
);
test(
  'a referral to an unrelated zone',
  classifies,
  { authorities: [ns('other.test', 'ns1.other.test')] },
  { authoritative: true, zone: 'test' },
  'upward-referral',
);
test(
  'a referral down to the domain from its TLD',
  classifies,
  { authorities: [ns('example.test', 'ns1.example.test')] },
  { authoritative: true, zone: 'test' },
  'referral',
);
test('a recursive answer without AA', classifies, { answers: mxAnswer }, RECURSIVE, 'answer');
test(
  'a recursive empty NOERROR',
  classifies,
  { authorities: [soa('example.test')] },
  RECURSIVE,
  'nodata',
);
test('a recursive SERVFAIL', classifies, { rcode: 'SERVFAIL' }, RECURSIVE, 'servfail');

test('transport failures keep their names', (t) => {
  const base = outcomeOf('example.test', 'MX', {});
  const statuses = ['timeout', 'tcp-timeout', 'unreachable', 'truncated', 'bad-response'] as const;

  t.deepEqual(
    statuses.map((status) =>
      classifyOutcome({ ...base, status, response: undefined as never }, AUTH),
    ),
    [...statuses],
  );
});

test('a referral carries its name servers, the glue for them and whether DS came along', (t) => {
  const outcome = outcomeOf('mx.example.test', 'A', {
    authorities: [
      ns('example.test', 'ns1.example.test'),
      ns('example.test', 'ns.provider.net'),
      ds('example.test'),
    ],
    additionals: [
      a('ns1.example.test', '127.0.0.3'),
      a('ns1.example.test', '::1'),
      a('other.test', '127.0.0.9'),
    ],
  });
  const referral = findReferral(outcome.response as DecodedPacket);

  t.is(referral?.zone, 'example.test');
  t.deepEqual(referral?.nameServers, ['ns1.example.test', 'ns.provider.net']);
  t.deepEqual([...(referral?.glue ?? [])], [['ns1.example.test', ['127.0.0.3', '::1']]]);
  t.true(referral?.hasDs);
});

test('an authority section with an SOA is not a referral', (t) => {
  const outcome = outcomeOf('example.test', 'MX', {
    authorities: [ns('example.test', 'ns1.example.test'), soa('example.test')],
  });

  t.is(findReferral(outcome.response as DecodedPacket), undefined);
});

test('MX records are read through an alias chain in the answer', (t) => {
  const outcome = outcomeOf('Example.test', 'MX', {
    answers: [
      cname('example.test', 'mail.example.net'),
      mx('mail.example.net', 5, 'MX.Example.NET.'),
      mx('unrelated.test', 1, 'x.test'),
    ],
  });

  t.deepEqual(extractMx(outcome), [{ preference: 5, exchange: 'mx.example.net' }]);
});

test('a null MX reads as the root for its exchange', (t) => {
  const outcome = outcomeOf('wingtip.test', 'MX', { answers: [mx('wingtip.test', 0, '.')] });

  t.deepEqual(extractMx(outcome), [{ preference: 0, exchange: '.' }]);
});

test('addresses are read at the end of the alias chain, and the alias is named', (t) => {
  const outcome = outcomeOf('mail.cohowinery.test', 'A', {
    answers: [
      cname('mail.cohowinery.test', 'mx.provider.test'),
      a('mx.provider.test', '127.0.0.101'),
    ],
  });

  t.deepEqual(extractAddresses(outcome), { addresses: ['127.0.0.101'], cname: 'mx.provider.test' });
});

test('an alias chain in one answer that loops gives no address and says it loops', (t) => {
  const outcome = outcomeOf('mx.cloop.test', 'A', {
    authoritative: true,
    answers: [cname('mx.cloop.test', 'mx2.cloop.test'), cname('mx2.cloop.test', 'mx.cloop.test')],
  });

  t.deepEqual(extractAddresses(outcome), {
    addresses: [],
    cname: 'mx2.cloop.test',
    isAliasLoop: true,
  });
});

test('records are written as owner, type and data without TTL', (t) => {
  const records: Answer[] = [
    mx('Example.test.', 10, 'mx1.example.test.'),
    a('mx1.example.test', '192.0.2.1'),
    cname('www.example.test', 'example.test'),
    soa('example.test', 2024010101),
    ns('example.test', 'ns1.example.test'),
  ];

  t.deepEqual(records.map(formatRecord), [
    'example.test MX 10 mx1.example.test',
    'mx1.example.test A 192.0.2.1',
    'www.example.test CNAME example.test',
    'example.test SOA ns.example.test hostmaster.example.test 2024010101',
    'example.test NS ns1.example.test',
  ]);
});

test('a probe keeps role, server, question, result, rcode, flags, answers, transport and time', (t) => {
  const outcome = outcomeOf('example.test', 'MX', { authoritative: true, answers: mxAnswer });

  t.deepEqual(toProbe(outcome, 'authoritative', 'answer', 'ns1.example.test'), {
    role: 'authoritative',
    server: '127.0.0.1:53',
    serverName: 'ns1.example.test',
    question: { name: 'example.test', type: 'MX' },
    result: 'answer',
    rcode: 'NOERROR',
    flags: ['qr', 'aa'],
    answers: ['example.test MX 10 mx1.example.test'],
    transport: 'udp',
    ms: 3,
  });
});

test('a timeout probe has no rcode, flags or answers', (t) => {
  const outcome = {
    ...outcomeOf('example.test', 'MX', {}),
    status: 'timeout' as const,
    response: undefined as never,
    server: { address: '::1', port: 5353 },
  };

  t.deepEqual(toProbe(outcome, 'local', 'timeout'), {
    role: 'local',
    server: '[::1]:5353',
    question: { name: 'example.test', type: 'MX' },
    result: 'timeout',
    transport: 'udp',
    ms: 3,
  });
  t.deepEqual(toReply(outcome, 'timeout'), {
    result: 'timeout',
    records: [],
    authenticated: false,
    transport: 'udp',
    ms: 3,
  });
});
