import test from 'ava';
import type { DeliveryRecord, MtaRecord } from '../../src/model.js';
import { createPostfixParser } from '../../src/mta/postfix.js';
import { envelopeOf, parseLines, parseSample } from './helpers.js';

function parseOne(line: string): readonly MtaRecord[] | undefined {
  return createPostfixParser().parse(envelopeOf(line));
}

function deliveryOf(line: string): DeliveryRecord {
  const records = parseOne(line);
  if (records?.length !== 1 || records[0]?.kind !== 'delivery') {
    throw new Error(`Expected one delivery record from: ${line}`);
  }

  return records[0];
}

const readsDelivery = test.macro({
  exec(t, line: string, expected: Partial<DeliveryRecord>) {
    t.like(deliveryOf(line), { kind: 'delivery', mta: 'postfix', ...expected });
  },
  title: (provided = '') => `the Postfix parser reads ${provided}`,
});

test(
  'a deferral after a failed MX look-up',
  readsDelivery,
  'Mar 11 18:22:26 mail postfix/smtp[9889]: 4F2A31C0D9E: to=<ann@example.com>, relay=none, delay=0.11, delays=0.1/0/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again)',
  {
    host: 'mail',
    daemon: 'smtp',
    queueId: '4F2A31C0D9E',
    recipient: 'ann@example.com',
    status: 'deferred',
    dsn: '4.4.3',
    relay: 'none',
    text: 'Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again',
    time: Date.UTC(2026, 2, 11, 18, 22, 26),
  },
);

test(
  'a repeat from the error agent',
  readsDelivery,
  'Mar 11 18:30:02 mail postfix/error[9901]: 4F2A31C0D9E: to=<ann@example.com>, relay=none, delay=476, delays=476/0.01/0/0.02, dsn=4.4.3, status=deferred (delivery temporarily suspended: Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again)',
  {
    daemon: 'error',
    status: 'deferred',
    text: 'delivery temporarily suspended: Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again',
  },
);

test(
  'a record from a second instance with an RFC 3339 envelope',
  readsDelivery,
  '2024-03-13T12:04:09.755361+01:00 mail postfix-out/smtp[7001]: 1B2C3D4E5F: to=<eve@example.net>, relay=none, delay=2, delays=0/0/2/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=mx1.example.net type=A: Host not found, try again)',
  { daemon: 'smtp', queueId: '1B2C3D4E5F', recipient: 'eve@example.net', dsn: '4.4.3' },
);

test(
  'a long queue id and a null MX bounce',
  readsDelivery,
  'Mar 14 02:45:10 mail postfix/smtp[53190]: 4ZxKp13Wqbz1Ty7: to=<dee@nomail.example.com>, relay=none, delay=0.2, delays=0.1/0/0.1/0, dsn=5.1.0, status=bounced (Domain nomail.example.com does not accept mail (nullMX))',
  {
    queueId: '4ZxKp13Wqbz1Ty7',
    status: 'bounced',
    dsn: '5.1.0',
    text: 'Domain nomail.example.com does not accept mail (nullMX)',
  },
);

test(
  'a delivery over a reused connection',
  readsDelivery,
  'Mar 11 18:22:32 mail postfix/smtp[9895]: 4D5E6F7A8B: to=<kim@example.com>, relay=mx1.example.com[192.0.2.25]:25, conn_use=2, delay=0.13, delays=0.05/0/0.04/0.04, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 5E6F7A8B9C)',
  {
    status: 'sent',
    relay: 'mx1.example.com[192.0.2.25]:25',
    dsn: '2.0.0',
    text: '250 2.0.0 Ok: queued as 5E6F7A8B9C',
  },
);

test(
  'an IPv6 relay and a remote greylisting reply',
  readsDelivery,
  'Mar 11 18:22:28 mail postfix/smtp[9891]: A0E85200BD: to=<hal@example.org>, relay=mx.example.org[2001:db8::25]:25, delay=1.2, delays=0.1/0/0.6/0.5, dsn=4.7.1, status=deferred (host mx.example.org[2001:db8::25] said: 450 4.7.1 <hal@example.org>: Recipient address rejected: Greylisted, try again in 5 minutes (in reply to RCPT TO command))',
  {
    relay: 'mx.example.org[2001:db8::25]:25',
    text: 'host mx.example.org[2001:db8::25] said: 450 4.7.1 <hal@example.org>: Recipient address rejected: Greylisted, try again in 5 minutes (in reply to RCPT TO command)',
  },
);

test(
  'the tls= field of Postfix 3.11 between delays= and dsn=',
  readsDelivery,
  'Mar 14 03:00:00 mail postfix/smtp[53200]: 5E6F7A8B9C: to=<lee@example.com>, relay=mx1.example.com[192.0.2.25]:25, delay=0.4, delays=0.1/0/0.2/0.1, tls=may:none, dsn=2.0.0, status=sent (250 2.0.0 Ok)',
  { dsn: '2.0.0', status: 'sent', text: '250 2.0.0 Ok' },
);

test(
  'orig_to from the local agent',
  readsDelivery,
  'Mar 14 03:00:01 mail postfix/local[53201]: 6F7A8B9C0D: to=<jo@example.com>, orig_to=<jo>, relay=local, delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent (delivered to mailbox)',
  { daemon: 'local', recipient: 'jo@example.com', relay: 'local', text: 'delivered to mailbox' },
);

test(
  'a quoted local part with a space and a comma',
  readsDelivery,
  'Mar 14 03:00:02 mail postfix/smtp[53202]: 7A8B9C0D1E: to=<"first, last"@example.com>, relay=none, delay=0.2, delays=0.1/0/0.1/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again)',
  { recipient: '"first, last"@example.com', relay: 'none' },
);

test(
  'a UTF-8 recipient as logged',
  readsDelivery,
  'Mar 14 03:00:03 mail postfix/smtp[53203]: 8B9C0D1E2F: to=<jörg@bücher.example>, relay=none, delay=0.2, delays=0.1/0/0.1/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=xn--bcher-kva.example type=MX: Host not found, try again)',
  { recipient: 'jörg@bücher.example' },
);

test(
  'nested parentheses up to the final one',
  readsDelivery,
  'Mar 14 03:00:04 mail postfix/smtp[53204]: 9C0D1E2F3A: to=<mo@example.net>, relay=mx.example.net[198.51.100.7]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.0, status=deferred (host mx.example.net[198.51.100.7] said: 421-4.7.0 [203.0.113.9      15] Our system (see https://help.example.net/x (rate)) 421 4.7.0 has detected an unusual rate (in reply to end of DATA command))',
  {
    text: 'host mx.example.net[198.51.100.7] said: 421-4.7.0 [203.0.113.9      15] Our system (see https://help.example.net/x (rate)) 421 4.7.0 has detected an unusual rate (in reply to end of DATA command)',
  },
);

test(
  'a record truncated before its closing parenthesis',
  readsDelivery,
  'Mar 14 03:00:05 mail postfix/smtp[53205]: 0D1E2F3A4B: to=<ned@example.net>, relay=mx.example.net[198.51.100.7]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mx.example.net[198.51.100.7] said: 550-5.7.1 first part 550-5.7.1 second par',
  {
    status: 'bounced',
    text: 'host mx.example.net[198.51.100.7] said: 550-5.7.1 first part 550-5.7.1 second par',
  },
);

test(
  'a record from before Postfix 2.3 without dsn=',
  readsDelivery,
  'Jan  5 10:00:00 mail postfix/smtp[100]: 1E2F3A4B5C: to=<oz@example.org>, relay=none, delay=1, status=deferred (Name service error for name=example.org type=MX: Host not found, try again)',
  {
    status: 'deferred',
    relay: 'none',
    text: 'Name service error for name=example.org type=MX: Host not found, try again',
  },
);

test(
  'SOFTBOUNCE as a deferral',
  readsDelivery,
  'Mar 14 03:00:06 mail postfix/smtp[53206]: 2F3A4B5C6D: to=<pat@example.com>, relay=mx1.example.com[192.0.2.25]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=5.1.1, status=SOFTBOUNCE (host mx1.example.com[192.0.2.25] said: 550 5.1.1 User unknown (in reply to RCPT TO command))',
  { status: 'deferred', dsn: '5.1.1' },
);

test(
  'an LMTP delivery to a socket relay',
  readsDelivery,
  'Mar 14 03:00:07 mail postfix/lmtp[53207]: 3A4B5C6D7E: to=<quinn@example.com>, relay=mail.example.com[private/dovecot-lmtp], delay=0.05, delays=0.01/0/0.01/0.03, dsn=2.0.0, status=sent (250 2.0.0 <quinn@example.com> Saved)',
  { daemon: 'lmtp', relay: 'mail.example.com[private/dovecot-lmtp]', status: 'sent' },
);

test('the Postfix parser reads virtual, pipe and error deliveries, and no discard', (t) => {
  const records = parseLines(createPostfixParser(), [
    'Mar 14 03:00:08 mail postfix/virtual[53208]: 4B5C6D7E8F: to=<rae@example.com>, relay=virtual, delay=0.02, delays=0/0/0/0.02, dsn=2.0.0, status=sent (delivered to maildir)',
    'Mar 14 03:00:09 mail postfix/pipe[53209]: 5C6D7E8F9A: to=<sam@example.com>, relay=dovecot, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered via dovecot service)',
    'Mar 14 03:00:10 mail postfix/error[53210]: 6D7E8F9A0B: to=<tom@example.com>, relay=none, delay=0.1, delays=0/0/0/0.1, dsn=5.0.0, status=bounced (User unknown in virtual alias table)',
    'Mar 14 03:00:11 mail postfix/discard[53211]: 7E8F9A0B1C: to=<uma@example.com>, relay=none, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (discarded)',
  ]);
  t.deepEqual(
    records.map((record) => record.kind === 'delivery' && [record.daemon, record.status]),
    [
      ['virtual', 'sent'],
      ['pipe', 'sent'],
      ['error', 'bounced'],
    ],
  );
});

test('the Postfix parser puts the sender from qmgr on later records and forgets it on removal', (t) => {
  const records = parseLines(createPostfixParser(), [
    'Dec  3 18:32:52 mailhost postfix/qmgr[416]: AFF09186110: from=<labuser@sender.test>, size=346, nrcpt=1 (queue active)',
    'Dec  3 18:32:52 mailhost postfix/smtp[446]: AFF09186110: to=<j.smith@northwind.test>, relay=none, delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again)',
    'Dec  3 18:32:54 mailhost postfix/qmgr[416]: AFF09186110: removed',
    'Dec  3 18:32:55 mailhost postfix/smtp[446]: AFF09186110: to=<j.smith@northwind.test>, relay=none, delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again)',
  ]);

  t.like(records[0], { kind: 'delivery', sender: 'labuser@sender.test' });
  t.like(records[1], { kind: 'message-done', queueId: 'AFF09186110', host: 'mailhost' });
  t.is(records[2]?.kind === 'delivery' ? records[2].sender : 'none', undefined);
});

test('the Postfix parser keeps the null sender of a bounce as an empty sender', (t) => {
  const records = parseLines(createPostfixParser(), [
    'Dec  3 18:32:54 mailhost postfix/qmgr[416]: 0A59F186126: from=<>, size=2439, nrcpt=1 (queue active)',
    'Dec  3 18:32:54 mailhost postfix/smtp[446]: 0A59F186126: to=<labuser@sender.test>, relay=mx.sender.test[127.0.5.4]:25, delay=0.05, delays=0/0/0/0.04, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 69GQMM2G85)',
  ]);

  t.like(records[0], { kind: 'delivery', sender: '', status: 'sent' });
});

// AFF09186110 of the lab sample: two of its six deferrals, then qmgr's expiry and removal.
const NORTHWIND_EXPIRY = [
  'Dec  3 18:32:52 mailhost postfix/qmgr[416]: AFF09186110: from=<labuser@sender.test>, size=346, nrcpt=1 (queue active)',
  'Dec  3 18:32:52 mailhost postfix/smtp[446]: AFF09186110: to=<j.smith@northwind.test>, relay=none, delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again)',
  'Dec  3 18:35:20 mailhost postfix/qmgr[416]: AFF09186110: from=<labuser@sender.test>, size=346, nrcpt=1 (queue active)',
  'Dec  3 18:35:25 mailhost postfix/smtp[1375]: AFF09186110: to=<j.smith@northwind.test>, relay=none, delay=153, delays=148/0/5/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again)',
  'Dec  3 18:35:25 mailhost postfix/qmgr[416]: AFF09186110: from=<labuser@sender.test>, status=expired, returned to sender',
  'Dec  3 18:35:25 mailhost postfix/bounce[1281]: AFF09186110: sender non-delivery notification: 6629B186027',
  'Dec  3 18:35:25 mailhost postfix/qmgr[416]: AFF09186110: removed',
];

const EXPIRY =
  'Dec  3 18:35:25 mailhost postfix/qmgr[416]: AFF09186110: from=<labuser@sender.test>, status=expired, returned to sender';

/** A deferral of `recipient` in message AFF09186110, shaped like the lab sample's. */
function deferral(recipient: string): string {
  return `Dec  3 18:35:25 mailhost postfix/smtp[1375]: AFF09186110: to=<${recipient}>, relay=none, delay=153, delays=148/0/5/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again)`;
}

/** What each record of a run is about: the recipient and status, or the record kind. */
function outline(records: readonly MtaRecord[]): string[] {
  return records.map((record) =>
    record.kind === 'delivery' ? `${record.recipient} ${record.status}` : record.kind,
  );
}

test('the Postfix parser turns a qmgr expiry into an expired record for the deferred recipient', (t) => {
  const records = parseLines(createPostfixParser(), NORTHWIND_EXPIRY);

  t.deepEqual(records[2], {
    kind: 'delivery',
    time: Date.UTC(2026, 11, 3, 18, 35, 25),
    host: 'mailhost',
    mta: 'postfix',
    daemon: 'qmgr',
    queueId: 'AFF09186110',
    recipient: 'j.smith@northwind.test',
    sender: 'labuser@sender.test',
    status: 'expired',
    text: 'expired, returned to sender',
    source: { file: 'test', line: 5 },
  });
  t.deepEqual(outline(records), [
    'j.smith@northwind.test deferred',
    'j.smith@northwind.test deferred',
    'j.smith@northwind.test expired',
    'message-done',
  ]);
});

test('the Postfix parser expires only the recipients of a message still deferred', (t) => {
  const records = parseLines(createPostfixParser(), [
    'Dec  3 18:32:52 mailhost postfix/qmgr[416]: AFF09186110: from=<labuser@sender.test>, size=346, nrcpt=3 (queue active)',
    deferral('j.smith@northwind.test'),
    'Dec  3 18:32:52 mailhost postfix/smtp[446]: AFF09186110: to=<c.jones@woodgrove.test>, relay=mx1.woodgrove.test[127.0.5.3]:25, delay=0.05, delays=0/0/0/0.04, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8HTZLMNOHW)',
    deferral('orders@proseware.test'),
    'Dec  3 18:33:20 mailhost postfix/smtp[446]: AFF09186110: to=<orders@proseware.test>, relay=mx.proseware.test[127.0.5.1]:25, delay=23, delays=23/0.01/0.01/0.05, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 061RYW029F)',
    EXPIRY,
  ]);

  t.deepEqual(outline(records).slice(4), ['j.smith@northwind.test expired']);
});

test('the Postfix parser gives a message-expired record when no recipient of the message is known', (t) => {
  const records = parseLines(createPostfixParser(), [EXPIRY]);

  t.deepEqual(records, [
    {
      kind: 'message-expired',
      time: Date.UTC(2026, 11, 3, 18, 35, 25),
      mta: 'postfix',
      host: 'mailhost',
      queueId: 'AFF09186110',
      sender: 'labuser@sender.test',
      text: 'expired, returned to sender',
      source: { file: 'test', line: 1 },
    },
  ]);
});

test('the Postfix parser expires a recipient deferred before the log shows the message sender', (t) => {
  const records = parseLines(createPostfixParser(), NORTHWIND_EXPIRY.slice(3));

  t.like(records[1], {
    recipient: 'j.smith@northwind.test',
    status: 'expired',
    sender: 'labuser@sender.test',
  });
});

test('the Postfix parser expires each deferred recipient once', (t) => {
  const records = parseLines(createPostfixParser(), [...NORTHWIND_EXPIRY.slice(0, 5), EXPIRY]);

  t.deepEqual(outline(records).slice(2), ['j.smith@northwind.test expired', 'message-expired']);
});

test('the Postfix parser stands in a message-expired record for deferred recipients beyond its cap', (t) => {
  const parser = createPostfixParser({ maxDeferredRecipients: 2 });
  const records = parseLines(parser, [
    deferral('a@northwind.test'),
    deferral('b@northwind.test'),
    deferral('c@northwind.test'),
    deferral('a@northwind.test'),
    EXPIRY,
  ]);

  t.deepEqual(outline(records).slice(4), [
    'a@northwind.test expired',
    'b@northwind.test expired',
    'message-expired',
  ]);
});

test('the Postfix parser forgets the deferred recipients of the oldest message when its memory is full', (t) => {
  const parser = createPostfixParser({ maxOpenMessages: 1 });
  const records = parseLines(parser, [
    deferral('j.smith@northwind.test'),
    'Dec  3 18:32:53 mailhost postfix/smtp[446]: 5C3A5186065: to=<accounts@contoso.test>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=contoso.test type=MX: Host not found, try again)',
    EXPIRY,
    'Dec  3 18:35:50 mailhost postfix/qmgr[416]: 5C3A5186065: from=<labuser@sender.test>, status=expired, returned to sender',
  ]);

  t.deepEqual(outline(records).slice(2), ['message-expired', 'accounts@contoso.test expired']);
});

test('the Postfix parser forgets the oldest sender when its memory is full', (t) => {
  const parser = createPostfixParser({ maxOpenMessages: 2 });
  const records = parseLines(parser, [
    'Dec  3 18:32:52 mailhost postfix/qmgr[416]: AAAAA11111: from=<a@sender.test>, size=1, nrcpt=1 (queue active)',
    'Dec  3 18:32:52 mailhost postfix/qmgr[416]: BBBBB22222: from=<b@sender.test>, size=1, nrcpt=1 (queue active)',
    'Dec  3 18:32:52 mailhost postfix/qmgr[416]: CCCCC33333: from=<c@sender.test>, size=1, nrcpt=1 (queue active)',
    'Dec  3 18:32:53 mailhost postfix/smtp[446]: AAAAA11111: to=<x@example.com>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.3, status=deferred (x)',
    'Dec  3 18:32:53 mailhost postfix/smtp[446]: CCCCC33333: to=<x@example.com>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.3, status=deferred (x)',
  ]);

  t.deepEqual(
    records.map((record) => (record.kind === 'delivery' ? record.sender : record.kind)),
    [undefined, 'c@sender.test'],
  );
});

test("a quoted local part is the sender's text: no '>,' inside quotes ends the address", (t) => {
  // Postfix quotes a local part that needs it; a spammer picks the sender, and a bounce goes
  // back to that address, so these local parts reach `to=`, `orig_to=` and `from=`.
  const records = parseLines(createPostfixParser(), [
    'Dec  3 18:30:00 mx postfix/qmgr[1]: AAAA8: from=<"x>, status=expired, returned to sender"@attacker.test>, size=1, nrcpt=1 (queue active)',
    'Dec  3 18:30:04 mx postfix/smtp[2]: AAAA8: to=<"u@gmail.com>, relay=none, delay=1, delays=0/0/0/0, dsn=4.4.3, status=deferred (Host not found, try again) <\\"\\\\"@attacker.test>, relay=mx.attacker.test[192.0.2.1]:25, delay=1, delays=0/0/0/0, dsn=5.1.1, status=bounced (host mx.attacker.test[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))',
    'Dec  3 18:30:05 mx postfix/smtp[2]: AAAA9: to=<u@v.test>, orig_to=<"x>, relay=none, delay=1, delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok) "@a.test>, relay=mx.v.test[192.0.2.1]:25, delay=1, delays=0/0/0/0, dsn=5.1.1, status=bounced (host mx.v.test[192.0.2.1] said: 550 5.1.1 no)',
  ]);

  const delivered = records.filter(
    (record): record is DeliveryRecord => record.kind === 'delivery',
  );

  t.deepEqual(
    delivered.map((record) => [record.sender, record.status, record.dsn]),
    [
      ['"x>, status=expired, returned to sender"@attacker.test', 'bounced', '5.1.1'],
      [undefined, 'bounced', '5.1.1'],
    ],
  );
  t.true(delivered[0]?.recipient.endsWith('"@attacker.test'));
});

test('a lone quote in an unquoted local part (Postfix before 3.5) still ends at its >', (t) => {
  const [record] = parseLines(createPostfixParser(), [
    'Dec  3 18:30:04 mx postfix/smtp[2]: AAAA7: to=<o"brien@ok.test>, relay=none, delay=1, delays=0/0/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=ok.test type=MX: Host not found, try again)',
  ]);

  t.like(record, { kind: 'delivery', recipient: 'o"brien@ok.test', status: 'deferred' });
});

test('a message requeued with postsuper -r goes on under the id pickup gives it', (t) => {
  const records = parseLines(createPostfixParser(), [
    'Dec  3 09:31:02 mailhost postfix/postsuper[53251]: 2C3D4E5F7A: requeued',
    'Dec  3 09:31:03 mailhost postfix/pickup[415]: 5D6E7F8091: uid=107 from=<labuser@sender.test> orig_id=2C3D4E5F7A',
    'Dec  3 09:31:03 mailhost postfix/pickup[415]: 4Xy7Z2kQ1vz3Lbc: uid=107 from=<> orig_id=4Xy7Z2kQ1vz3Lbd',
  ]);

  t.deepEqual(
    records.map((record) =>
      record.kind === 'message-requeued' ? [record.queueId, record.newQueueId] : record.kind,
    ),
    [
      ['2C3D4E5F7A', '5D6E7F8091'],
      ['4Xy7Z2kQ1vz3Lbd', '4Xy7Z2kQ1vz3Lbc'],
    ],
  );
});

test("a sender's text cannot forge pickup's orig_id= to take another message's recipients", (t) => {
  const records = parseLines(createPostfixParser(), [
    // A long sender whose line Postfix cut at 2000 characters inside its quotes.
    `Dec  3 10:05:00 mx postfix/pickup[3]: CCCCC2: uid=33 from=<"${'x'.repeat(60)}> orig_id=AAAAA1`,
    // The words on another daemon's line.
    'Dec  3 10:05:00 mx postfix/cleanup[4]: CCCCC2: uid=33 from=<a@b.test> orig_id=AAAAA1',
  ]);

  t.deepEqual(records, []);
});

const understoodWithoutRecords = test.macro({
  exec(t, line: string) {
    t.deepEqual(parseOne(line), []);
  },
  title: (_provided, line: string) =>
    `the Postfix parser understands, and takes no record from: ${line.slice(16, 110)}`,
});

for (const line of [
  'Dec  3 18:32:50 mailhost postfix/postfix-script[412]: starting the Postfix mail system',
  'Dec  3 18:32:50 mailhost postfix/master[414]: daemon started -- version 3.7.11, configuration /var/lib/mtalab/postfix/etc',
  'Dec  3 18:32:52 mailhost postfix/pickup[415]: AFF09186110: uid=0 from=<labuser@sender.test>',
  'Dec  3 18:32:52 mailhost postfix/cleanup[443]: AFF09186110: message-id=<lab-pf-1-1796322772@pf-out.sender.test>',
  'Dec  3 18:32:52 mailhost postfix/qmgr[416]: AFF09186110: from=<labuser@sender.test>, size=346, nrcpt=1 (queue active)',
  'Dec  3 18:32:54 mailhost postfix/bounce[497]: 08B0F18606B: sender non-delivery notification: 0A59F186126',
  'Dec  3 18:34:05 mailhost postfix/bounce[1088]: warning: for instructions see the bounce(5) manual',
  'Dec  3 18:32:56 mailhost postfix/smtp[446]: warning: no MX host for litware.test has a valid address record',
  'Dec  3 18:32:58 mailhost postfix/smtp[446]: connect to mail.margie.test[127.0.5.9]:25: Connection refused',
  'Mar 11 18:22:29 mail postfix/smtp[9892]: 644D53D: host mx2.example.net[198.51.100.7] said: 421-4.7.0 [203.0.113.9      15] Our system has detected an unusual rate of 421 4.7.0 unsolicited mail. (in reply to end of DATA command)',
  'Mar 11 18:22:29 mail postfix/smtp[9892]: 644D53D: lost connection with mx2.example.net[198.51.100.7] while sending RCPT TO',
  'Mar 11 18:22:29 mail postfix/submission/smtpd[9893]: connect from client.example.org[203.0.113.9]',
  'Mar 11 18:22:29 mail postfix/submission/smtpd[9893]: 644D53E: client=client.example.org[203.0.113.9], sasl_method=PLAIN, sasl_username=ann',
  'Mar 11 18:22:30 mail postfix/smtpd[9894]: NOQUEUE: reject: RCPT from h.example.net[198.51.100.5]: 450 4.1.8 <a@example.org>: Sender address rejected: Domain not found; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<h.example.net>',
  'Mar 11 18:22:30 mail postfix/smtpd[9894]: warning: hostname h.example.net does not resolve to address 198.51.100.5: Temporary failure in name resolution',
  'Mar 11 18:22:31 mail postfix/postscreen[9895]: CONNECT from [198.51.100.5]:45263 to [192.0.2.1]:25',
  'Mar 11 18:22:31 mail postfix/postscreen[9895]: PASS NEW [198.51.100.5]:45263',
  'Mar 11 18:22:31 mail postfix[6084]: Postfix is running with backwards-compatible default settings',
  'Mar 11 18:22:31 mail postfix/postsuper[6090]: Deleted: 3 messages',
  'Mar 14 02:47:24 mail postfix/postsuper[53214]: 2C3D4E5F78: requeued',
  'Mar 14 02:47:25 mail postfix/postsuper[53215]: 2C3D4E5F79: placed on hold',
  'Mar 14 02:47:26 mail postfix/postsuper[53216]: 2C3D4E5F79: released from hold',
  'Mar 11 18:22:32 mail postfix/verify[9896]: 1A2B3C4D5E: to=<probe@example.com>, relay=mx1.example.com[192.0.2.25]:25, delay=0.3, delays=0/0/0.2/0.1, dsn=2.1.5, status=deliverable (250 2.1.5 Ok)',
  'Mar 11 18:22:32 mail postfix/smtp[9896]: 1A2B3C4D5F: to=<probe@example.com>, relay=mx1.example.com[192.0.2.25]:25, delay=0.3, delays=0/0/0.2/0.1, dsn=5.1.1, status=undeliverable (host mx1.example.com[192.0.2.25] said: 550 5.1.1 User unknown (in reply to RCPT TO command))',
  // Real lines of before-queue filters, postscreen, table reloads and old workarounds (a
  // review against public logs and Postfix log parsers' test data, 2026-12).
  'Mar 11 18:22:33 mail postfix/smtpd[3005]: proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued as 7949396087; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<mx.example.org>',
  'Mar 11 18:22:33 mail postfix/smtpd[9]: proxy-reject: END-OF-MESSAGE: 451 4.3.0 Error: queue file write error; from=<n@exemple.org> to=<d@exemple.fr> proto=ESMTP helo=<mx.exemple.org>',
  'Mar 11 18:22:34 mail postfix/postscreen[1001]: cache btree:/var/lib/postfix-in/postscreen_cache full cleanup: retained=242 dropped=7 entries',
  'Mar 11 18:22:35 mail postfix/local[101]: table cdb:/mail/postfix/etc/aliases.out(0,34100) has changed -- restarting',
  'Mar 11 18:22:36 mail postfix/smtp[100]: 2A2DB4496: enabling PIX <CRLF>.<CRLF> workaround for mail.zust.it[213.213.93.228]',
  'Mar 11 18:22:37 mail postfix/postsuper[103]: Renamed to match inode number: 19 messages',
  'Feb 28 11:50:04 modoboa postfix/qmgr[1998]: CC44916C7A: status=deferred (bounce failed)',
  // discard(8): thrown away by our own configuration, neither delivered nor failed.
  'May  8 01:15:47 mailserver01 postfix/discard[19593]: 25F2E5E061: to=<george.desantis@test.example.com>, relay=none, delay=0.05, delays=0.05/0/0/0, dsn=2.0.0, status=sent (test.example.com)',
]) {
  test(understoodWithoutRecords, line);
}

const notUnderstood = test.macro({
  exec(t, line: string) {
    t.is(parseOne(line), undefined);
  },
  title: (_provided, line: string) =>
    `the Postfix parser does not claim to understand: ${line.slice(16, 110)}`,
});

for (const line of [
  'Mar 11 18:22:26 mail postfix/smtp[9889]: 4F2A31C0D9E: to=<ann@example.com>, relay=none, delay=0.11',
  'Mar 11 18:22:26 mail postfix/smtp[9889]: 4F2A31C0D9E: to=<ann@example.com>, relay=none, status=frobnicated (what)',
  'Mar 11 18:22:26 mail postfix/smtp[9889]: 4F2A31C0D9E: to=<ann@example.com',
  'Mar 11 18:22:26 mail postfix/smtp[9889]: 4F2A31C0D9E: something new happened',
  'Mar 11 18:22:26 mail postfix/smtp[9889]: a line no Postfix version writes',
]) {
  test(notUnderstood, line);
}

test('the Postfix parser accepts the program tags Postfix writes and no others', (t) => {
  const parser = createPostfixParser();
  const tags = [
    'postfix/smtp',
    'postfix-out/smtp',
    'postfix/submission/smtpd',
    'postfix',
    'postfix-mx/qmgr',
    // An instance whose syslog_name does not start with postfix (smtp-field-manual PR 60).
    'server1-1/smtp',
    'mta-in/submission/smtpd',
  ];
  t.true(tags.every((tag) => parser.accepts(tag)));
  t.false(
    [
      'sm-mta',
      'exim4',
      'postfixadmin',
      'dovecot',
      'sendmail',
      'server1-1/imap',
      'smtp/',
      'cyrus/lmtp',
      'cyrus/master',
      'app/error',
    ].some((tag) => parser.accepts(tag)),
  );
});

test('the Postfix parser understands every line of the Postfix lab sample', (t) => {
  const parsed = parseSample('postfix-mail.log');
  const kinds = new Map<string, number>();
  for (const { envelope, records } of parsed) {
    t.not(records, undefined, envelope.message);
    for (const record of records ?? []) kinds.set(record.kind, (kinds.get(record.kind) ?? 0) + 1);
  }

  t.deepEqual(Object.fromEntries(kinds), { delivery: 131, 'message-done': 49 });
});

test("the Postfix parser expires one recipient of each of the lab sample's eight expired messages", (t) => {
  const expired = parseSample('postfix-mail.log').flatMap(({ records }) =>
    (records ?? []).filter((record) => record.kind === 'delivery' && record.status === 'expired'),
  );

  t.is(expired.length, 8);
  t.is(new Set(expired.map((record) => record.queueId)).size, 8);
  t.true(expired.every((record) => record.kind === 'delivery' && record.daemon === 'qmgr'));
});

test('the Postfix parser puts the qmgr sender on every delivery record of the lab sample', (t) => {
  const deliveries = parseSample('postfix-mail.log').flatMap(({ records }) =>
    (records ?? []).filter((record) => record.kind === 'delivery'),
  );
  const senders = new Set(deliveries.map((record) => record.sender));

  t.deepEqual([...senders].sort(), ['', 'labuser@sender.test']);
});
