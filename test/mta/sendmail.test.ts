import test from 'ava';
import type { DeliveryRecord, MtaRecord } from '../../src/model.js';
import { createSendmailParser } from '../../src/mta/sendmail.js';
import { envelopeOf, parseLines, parseSample } from './helpers.js';

function parseOne(line: string): readonly MtaRecord[] | undefined {
  return createSendmailParser().parse(envelopeOf(line));
}

function deliveries(records: readonly MtaRecord[] | undefined): DeliveryRecord[] {
  return (records ?? []).filter((record) => record.kind === 'delivery');
}

const readsDelivery = test.macro({
  exec(t, line: string, expected: Partial<DeliveryRecord>) {
    const records = parseOne(line);
    t.is(records?.length, 1);
    t.like(records?.[0], { kind: 'delivery', mta: 'sendmail', ...expected });
  },
  title: (provided = '') => `the Sendmail parser reads ${provided}`,
});

test(
  'a remote deferral with reply= and stat=',
  readsDelivery,
  'Dec  3 18:32:57 mailhost sm-mta[655]: 6B3IWv4E000653: to=<orders@proseware.test>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=30359, relay=mx.proseware.test. [127.0.5.1], dsn=4.7.0, reply=451 4.7.0 <orders@proseware.test>: Recipient address rejected: Temporarily deferred by local policy, try again later, stat=Deferred: 451 4.7.0 <orders@proseware.test>: Recipient address rejected: Temporarily deferred by local policy, try again later',
  {
    host: 'mailhost',
    daemon: 'sm-mta',
    queueId: '6B3IWv4E000653',
    recipient: 'orders@proseware.test',
    status: 'deferred',
    dsn: '4.7.0',
    relay: 'mx.proseware.test [127.0.5.1]',
    text: 'Deferred: 451 4.7.0 <orders@proseware.test>: Recipient address rejected: Temporarily deferred by local policy, try again later',
  },
);

test(
  'a bounce whose stat= only sums up its reply=, with the reply kept in the text',
  readsDelivery,
  'Dec  3 18:32:58 mailhost sm-mta[692]: 6B3IWwWA000690: to=<former.employee@lucerne.test>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=30366, relay=mx.lucerne.test. [127.0.5.2], dsn=5.1.1, reply=550 5.1.1 <former.employee@lucerne.test>: Recipient address rejected: User unknown in virtual mailbox table, stat=User unknown',
  {
    status: 'bounced',
    dsn: '5.1.1',
    text: 'User unknown: 550 5.1.1 <former.employee@lucerne.test>: Recipient address rejected: User unknown in virtual mailbox table',
  },
);

test(
  'a bounce for an unknown host',
  readsDelivery,
  'Dec  3 18:32:54 mailhost sm-mta[522]: 6B3IWsG1000520: to=<info@adventure-works.test>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=30359, relay=adventure-works.test, dsn=5.1.2, stat=Host unknown (Name server: adventure-works.test: host not found)',
  {
    status: 'bounced',
    relay: 'adventure-works.test',
    dsn: '5.1.2',
    text: 'Host unknown (Name server: adventure-works.test: host not found)',
  },
);

test(
  'a relay name without its trailing dot',
  readsDelivery,
  'Dec  3 18:33:05 mailhost sm-mta[1027]: 6B3IWwaY000720: to=<office@margie.test>, delay=00:00:07, xdelay=00:00:00, mailer=esmtp, pri=120354, relay=mail.margie.test., dsn=4.4.1, stat=Deferred: Connection refused by mail.margie.test.',
  { relay: 'mail.margie.test', text: 'Deferred: Connection refused by mail.margie.test.' },
);

test(
  'a delay of days and a control address',
  readsDelivery,
  'Jul 28 14:38:01 mail sm-mta[18001]: m6PElsEm007582: to=<ann@example.com>, ctladdr=<www-data@mail.example.org> (33/33), delay=2+22:50:07, xdelay=00:00:00, mailer=esmtp, pri=38460480, relay=example.com., dsn=4.0.0, stat=Deferred: Name server: example.com.: host name lookup failure',
  {
    queueId: 'm6PElsEm007582',
    relay: 'example.com',
    status: 'deferred',
    text: 'Deferred: Name server: example.com.: host name lookup failure',
  },
);

test(
  'an IPv6 relay',
  readsDelivery,
  'Apr  2 00:15:25 mail sm-mta[12566]: u31FFPtp032300: to=<carl@example.org>, delay=00:00:15, xdelay=00:00:15, mailer=esmtp, pri=34527, relay=mx.example.org. [IPv6:2001:db8::25], dsn=2.0.0, stat=Sent (Ok: queued as 1AB)',
  { relay: 'mx.example.org [IPv6:2001:db8::25]', status: 'sent', text: 'Sent (Ok: queued as 1AB)' },
);

test(
  'a bare recipient and an RFC 3339 envelope',
  readsDelivery,
  '2020-11-30T04:23:31.117593+00:00 mail sendmail[63191]: 0AU4NVat063189: to=postmaster, delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=120870, relay=192.0.2.40, dsn=5.1.2, stat=Host unknown (Name server: 192.0.2.40: host not found)',
  {
    recipient: 'postmaster',
    daemon: 'sendmail',
    status: 'bounced',
    time: Date.UTC(2020, 10, 30, 4, 23, 31, 117),
  },
);

test('the Sendmail parser makes one record per recipient of a multi-recipient line', (t) => {
  const records = deliveries(
    parseOne(
      'Apr  2 00:15:26 mail sendmail[32302]: u31FFPtp032300: to=<dee@example.net>,<eve@example.net>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=245938, relay=[192.0.2.30] [192.0.2.30], dsn=2.0.0, stat=Sent (ok:  Message 40279895 accepted)',
    ),
  );

  t.deepEqual(
    records.map((record) => [record.recipient, record.status, record.relay, record.isHandoff]),
    [
      ['dee@example.net', 'sent', '[192.0.2.30] [192.0.2.30]', undefined],
      ['eve@example.net', 'sent', '[192.0.2.30] [192.0.2.30]', undefined],
    ],
  );
});

test('the Sendmail parser reads the recipients of [more] continuation lines', (t) => {
  const records = parseLines(createSendmailParser(), [
    'Apr  2 00:16:00 mail sm-mta[3000]: u31FG0aa003000: to=<a@example.com>,<b@example.com>, [more], delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=1, relay=mx.example.com. [192.0.2.25], dsn=4.7.1, stat=Deferred: 451 4.7.1 Try later',
    'Apr  2 00:16:00 mail sm-mta[3000]: u31FG0aa003000: to=<c@example.com>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=1, relay=mx.example.com. [192.0.2.25], dsn=4.7.1, stat=Deferred: 451 4.7.1 Try later',
  ]);

  t.deepEqual(
    deliveries(records).map((record) => [record.recipient, record.status, record.dsn]),
    [
      ['a@example.com', 'deferred', '4.7.1'],
      ['b@example.com', 'deferred', '4.7.1'],
      ['c@example.com', 'deferred', '4.7.1'],
    ],
  );
});

test('the Sendmail parser marks the submission hand-off to the local daemon', (t) => {
  const records = deliveries(
    parseOne(
      'Dec  3 18:32:54 mailhost sendmail[519]: 6B3IWsEW000519: to=<info@adventure-works.test>, ctladdr=labuser@sender.test (0/0), delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=30228, relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, stat=Sent (6B3IWsG1000520 Message accepted for delivery)',
    ),
  );

  t.like(records[0], { status: 'sent', isHandoff: true, daemon: 'sendmail' });
});

test('the Sendmail parser marks the client-queue hand-off to the local daemon', (t) => {
  const records = deliveries(
    parseOne(
      'Dec  3 18:34:35 mailhost sm-msp-queue[1366]: 6B3IXuIT001226: to=<r.wilson@fourthcoffee.test>, delay=00:00:39, xdelay=00:00:00, mailer=relay, pri=390231, relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, stat=Sent (6B3IYZ2G001372 Message accepted for delivery)',
    ),
  );

  t.like(records[0], { status: 'sent', isHandoff: true, daemon: 'sm-msp-queue' });
});

test('the Sendmail parser names the queue id the local daemon took a hand-off under', (t) => {
  const records = parseOne(
    'Dec  3 18:34:35 mailhost sm-msp-queue[1366]: 6B3IXldN001185: to=<events@woodgrove.test>, delay=00:00:48, xdelay=00:00:00, mailer=relay, pri=480284, relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, stat=Sent (6B3IYZ2K001372 Message accepted for delivery)',
  );

  t.like(records?.[1], {
    kind: 'message-handoff',
    host: 'mailhost',
    queueId: '6B3IXldN001185',
    recipient: 'events@woodgrove.test',
    newQueueId: '6B3IYZ2K001372',
  });
  t.is(records?.length, 2);
});

test("the Sendmail parser reads the submission program's lone stat=queued as a deferred hand-off", (t) => {
  const records = deliveries(
    parseOne(
      'Dec  3 18:32:53 mailhost sendmail[463]: 6B3IWrgG000463: to=<j.smith@northwind.test>, delay=00:00:00, mailer=esmtp, pri=30225, dsn=4.4.3, stat=queued',
    ),
  );

  t.like(records[0], {
    recipient: 'j.smith@northwind.test',
    status: 'deferred',
    dsn: '4.4.3',
    text: 'queued',
    isHandoff: true,
  });
});

test("the Sendmail parser reads the daemon's stat=queued as a plain deferral", (t) => {
  const records = deliveries(
    parseOne(
      'Dec  3 18:34:05 mailhost sm-mta[1229]: 6B3IY5mh001229: to=<labuser@sender.test>, delay=00:00:00, mailer=esmtp, pri=31576, dsn=4.4.3, stat=queued',
    ),
  );

  t.like(records[0], { status: 'deferred', dsn: '4.4.3' });
  t.is(records[0]?.isHandoff, undefined);
});

test('the Sendmail parser reads a local error with a temporary DSN as a deferral', (t) => {
  // Ubuntu Forums: Sendmail keeps the recipient queued for EX_OSERR (here a missing access.db).
  const records = parseOne(
    'Dec  6 19:19:22 cutiebunny sm-mta[13125]: mB72JLu5013099: to=benloc@sipnsearch.com, delay=00:56:51, xdelay=00:00:01, mailer=esmtp, pri=570000, relay=smtp-in-2.userservices.net. [204.16.46.1], dsn=4.5.0, stat=Operating system error',
  );

  t.like(records?.[0], { status: 'deferred', dsn: '4.5.0', text: 'Operating system error' });
});

test('the Sendmail parser takes no delivery from a stat=queued without a DSN', (t) => {
  t.deepEqual(
    parseOne(
      'Apr  2 00:15:41 mail sm-mta[32317]: u31FFPtp032401: to=<tim@example.com>, delay=00:00:00, mailer=esmtp, pri=30000, stat=queued',
    ),
    [],
  );
});

test('the Sendmail parser does not take a remote delivery by a daemon named sendmail for a hand-off', (t) => {
  const records = deliveries(
    parseOne(
      'Apr  2 00:15:25 mail sendmail[12566]: u31FFPtp032300: to=<carl@example.org>, delay=00:00:15, xdelay=00:00:15, mailer=esmtp, pri=34527, relay=mx.example.org. [192.0.2.25], dsn=4.7.1, reply=451 4.7.1 Please try again later, stat=Deferred: 451 4.7.1 Please try again later',
    ),
  );

  t.like(records[0], { status: 'deferred', relay: 'mx.example.org [192.0.2.25]' });
  t.is(records[0]?.isHandoff, undefined);
});

const expiryLines = [
  'Dec  3 18:33:05 mailhost sm-mta[1034]: 6B3IX5k3001034: from=<labuser@sender.test>, size=355, class=0, nrcpts=1, msgid=<lab-sm-57-1796322785@sm-out.sender.test>, proto=ESMTP, daemon=MTA-v4, relay=localhost [127.0.0.1]',
  'Dec  3 18:35:35 mailhost sm-mta[1607]: 6B3IX5k3001034: to=<t.brown@margie.test>, delay=00:02:30, xdelay=00:00:00, mailer=esmtp, pri=1200355, relay=mail.margie.test. [127.0.5.9], dsn=4.4.1, stat=Deferred: Connection refused by mail.margie.test.',
  'Dec  3 18:35:35 mailhost sm-mta[1607]: 6B3IX5k3001034: 6B3IZZ2H001607: sender notify: Cannot send message for 2 minutes, 30 seconds',
  'Dec  3 18:35:35 mailhost sm-mta[1607]: 6B3IX5k3001034: 6B3IZZ2I001607: postmaster notify: Cannot send message for 2 minutes, 30 seconds',
];

test('the Sendmail parser turns a queue timeout notice into expiries of the deferred recipients', (t) => {
  const records = parseLines(createSendmailParser(), expiryLines);

  t.is(records.length, 2);
  t.like(records[1], {
    kind: 'delivery',
    queueId: '6B3IX5k3001034',
    recipient: 't.brown@margie.test',
    sender: 'labuser@sender.test',
    status: 'expired',
    text: 'Cannot send message for 2 minutes, 30 seconds',
    time: Date.UTC(2026, 11, 3, 18, 35, 35),
  });
});

test('the Sendmail parser leaves recipients delivered before a timeout out of its expiries', (t) => {
  const records = parseLines(createSendmailParser(), [
    'Apr  2 00:16:00 mail sm-mta[3000]: u31FG0aa003000: to=<a@example.com>,<b@example.com>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=1, relay=mx.example.com. [192.0.2.25], dsn=4.7.1, stat=Deferred: 451 4.7.1 Try later',
    'Apr  2 01:16:00 mail sm-mta[3001]: u31FG0aa003000: to=<a@example.com>, delay=01:00:01, xdelay=00:00:01, mailer=esmtp, pri=1, relay=mx.example.com. [192.0.2.25], dsn=2.0.0, stat=Sent (Ok)',
    'Apr  7 00:16:00 mail sm-mta[3002]: u31FG0aa003000: u37FG0aa003002: DSN: Cannot send message for 5 days',
  ]);

  t.deepEqual(
    deliveries(records).map((record) => [record.recipient, record.status]),
    [
      ['a@example.com', 'deferred'],
      ['b@example.com', 'deferred'],
      ['a@example.com', 'sent'],
      ['b@example.com', 'expired'],
    ],
  );
});

test('the Sendmail parser reports a timeout of a message whose recipients it never saw', (t) => {
  const records = parseLines(createSendmailParser(), [
    'Apr  7 00:16:00 mail sm-mta[3002]: u31FG0aa003000: u37FG0aa003002: DSN: Cannot send message for 5 days',
    'Apr  7 00:16:00 mail sm-mta[3002]: u31FG0aa003000: u37FG0aa003003: postmaster notify: Cannot send message for 5 days',
  ]);

  t.deepEqual(records, [
    {
      kind: 'message-expired',
      time: Date.UTC(2026, 3, 7, 0, 16, 0),
      mta: 'sendmail',
      host: 'mail',
      queueId: 'u31FG0aa003000',
      text: 'Cannot send message for 5 days',
      source: { file: 'test', line: 1 },
    },
  ]);
});

test('the Sendmail parser forgets a message once every recipient has a final record', (t) => {
  const records = parseLines(createSendmailParser(), [
    'Dec  3 18:32:58 mailhost sm-mta[720]: 6B3IWwaY000720: from=<labuser@sender.test>, size=354, class=0, nrcpts=1, msgid=<lab-sm-27-1796322778@sm-out.sender.test>, proto=ESMTP, daemon=MTA-v4, relay=localhost [127.0.0.1]',
    'Dec  3 18:32:58 mailhost sm-mta[722]: 6B3IWwaY000720: to=<office@margie.test>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=30354, relay=mail.margie.test. [127.0.5.9], dsn=4.4.1, stat=Deferred: Connection refused by mail.margie.test.',
    'Dec  3 18:33:05 mailhost sm-mta[1027]: 6B3IWwaY000720: to=<office@margie.test>, delay=00:00:07, xdelay=00:00:00, mailer=esmtp, pri=120354, relay=mail.margie.test. [127.0.5.9], dsn=2.0.0, stat=Sent (Ok)',
    'Dec  3 18:33:06 mailhost sm-mta[1028]: 6B3IWwaY000720: to=<office@margie.test>, delay=00:00:08, xdelay=00:00:00, mailer=esmtp, pri=120354, relay=mail.margie.test. [127.0.5.9], dsn=2.0.0, stat=Sent (Ok)',
  ]);

  t.deepEqual(
    deliveries(records).map((record) => [record.status, record.sender]),
    [
      ['deferred', 'labuser@sender.test'],
      ['sent', 'labuser@sender.test'],
      ['sent', undefined],
    ],
  );
});

const understoodWithoutRecords = test.macro({
  exec(t, line: string) {
    t.deepEqual(parseOne(line), []);
  },
  title: (_provided, line: string) =>
    `the Sendmail parser understands, and takes no record from: ${line.slice(16, 110)}`,
});

for (const line of [
  'Dec  3 18:32:50 mailhost sm-mta[420]: starting daemon (8.17.1.9): SMTP+queueing@00:00:15',
  'Dec  3 18:32:53 mailhost sm-mta[463]: 6B3IWrgG000463: clone 6B3IWrgH000463, owner=list-owner@sender.test',
  'Dec  3 18:32:50 mailhost sm-mta[421]: alias database /var/lib/mtalab/sendmail/aliases rebuilt by root',
  'Dec  3 18:32:50 mailhost sm-mta[421]: /var/lib/mtalab/sendmail/aliases: 4 aliases, longest 19 bytes, 107 bytes total',
  'Dec  3 18:32:50 mailhost sm-msp-queue[424]: unable to write pid to /run/mtalab/sm-client.pid: Permission denied',
  'Dec  3 18:32:53 mailhost sendmail[463]: 6B3IWrgG000463: from=labuser@sender.test, size=225, class=0, nrcpts=1, msgid=<lab-sm-3-1796322773@sm-out.sender.test>, relay=root@localhost',
  'Dec  3 18:32:54 mailhost sm-mta[522]: 6B3IWsG1000520: 6B3IWsG1000522: DSN: Host unknown (Name server: adventure-works.test: host not found)',
  'Dec  3 18:34:05 mailhost sm-mta[1229]: 6B3IX5k3001034: 6B3IY5mh001229: sender notify: Warning: could not send message for past 1 minute',
  'Sep 30 15:55:50 mail sm-mta[3925]: p8UJto7v003923: ruleset=check_rcpt, arg1=<x@example.net>, relay=h.example.net [198.51.100.5], reject=550 5.7.1 <x@example.net>... Relaying denied',
  'Sep 30 15:55:50 mail sm-mta[3925]: STARTTLS=client, relay=mx.example.net., version=TLSv1.3, verify=FAIL, cipher=TLS_AES_256_GCM_SHA384, bits=256/256',
  'Sep 30 15:55:51 mail sm-mta[3926]: h.example.net [198.51.100.5] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA-v4',
  'Sep 30 15:55:52 mail sm-mta[3927]: p8UJtq7v003927: <nobody@example.com>... User unknown',
]) {
  test(understoodWithoutRecords, line);
}

const notUnderstood = test.macro({
  exec(t, line: string) {
    t.is(parseOne(line), undefined);
  },
  title: (_provided, line: string) =>
    `the Sendmail parser does not claim to understand: ${line.slice(16, 110)}`,
});

for (const line of [
  'Sep 30 15:55:50 mail sm-mta[3925]: p8UJto7v003923: to=<bob@nx.example.net>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp',
  'Sep 30 15:55:50 mail sm-mta[3925]: p8UJto7v003923: something Sendmail never logs',
  'Sep 30 15:55:50 mail sm-mta[3925]: a line no Sendmail version writes',
  // The words of a refused EXPN elsewhere in a line are no refused EXPN.
  'Sep 30 15:55:50 mail sm-mta[3925]: p8UJto7v003923: a future line about <"a [rejected]"@x.test>',
]) {
  test(notUnderstood, line);
}

test('the Sendmail parser accepts the Sendmail program tags and no others', (t) => {
  const parser = createSendmailParser();
  t.true(
    ['sendmail', 'sm-mta', 'sm-msp-queue', 'sm-acceptingconnections'].every((tag) =>
      parser.accepts(tag),
    ),
  );
  t.false(
    ['postfix/sendmail', 'exim4', 'smtpd', 'sendmail-wrapper'].some((tag) => parser.accepts(tag)),
  );
});

test('the Sendmail parser understands every line of the Sendmail lab sample', (t) => {
  const statuses = new Map<string, number>();
  for (const { envelope, records } of parseSample('sendmail-mail.log')) {
    t.not(records, undefined, envelope.message);
    for (const record of deliveries(records)) {
      const key = `${record.status}${record.isHandoff === true ? ' hand-off' : ''}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
  }

  t.deepEqual(Object.fromEntries(statuses), {
    'deferred hand-off': 7,
    'sent hand-off': 19,
    sent: 23,
    deferred: 47,
    bounced: 10,
    expired: 4,
  });
});

test('the Sendmail parser reads a clone line as context and a bracket it does not know as not understood', (t) => {
  t.deepEqual(
    parseOne(
      'Jun 26 12:02:38 mail sendmail[23292]: h5QG2YLj023291: h5QG2cLj023292: clone: owner=owner-whine',
    ),
    [],
  );
  t.deepEqual(
    parseOne(
      'Jun 26 12:02:38 mail sendmail[23292]: [192.0.2.1] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA-v4',
    ),
    [],
  );
  t.is(
    parseOne('Jun 26 12:02:38 mail sendmail[23292]: [something] Sendmail never logs'),
    undefined,
  );
});

test('the Sendmail parser reads a connection note with its session queue id as context', (t) => {
  // fail2ban's sendmail-reject and sendmail-auth test logs, and Ubuntu Forums threads.
  for (const line of [
    'Mar 17 11:56:18 SERVERNAME sm-mta[6978]: n2HBoYaC006978: localhost [127.0.0.1] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA',
    'Feb 16 23:33:20 smtp1 sm-mta[5133]: s1GNXHYB005133: [190.5.230.178]: possible SMTP attack: command=AUTH, count=5',
    'Oct 14 18:04:46 contspmail01 sendmail[868]: x9EL2TuO000868: 154.119.229.35.bc.googleusercontent.com [35.229.119.154]: possible SMTP attack: command=HELO/EHLO, count=3',
    'Feb 23 21:18:47 batman sm-mta[93301]: s1NKIkZa093301: [76.72.174.70]: EXPN root [rejected]',
    // A client named by its host name (fail2ban, fail2ban/tests/files/logs/sendmail-reject):
    // https://github.com/fail2ban/fail2ban/blob/master/fail2ban/tests/files/logs/sendmail-reject
    'Feb 22 14:02:44 batman sm-mta[4030]: s1MD2hsd004030: rrcs-24-73-201-194.se.biz.rr.com [24.73.201.194]: EXPN root [rejected]',
    'Feb 13 01:16:50 batman sm-mta[25815]: s1D0GoSs025815: [217.193.142.180]: vrfy info [rejected]',
    // The client's command as it typed it (srvrsmtp.c logs the raw line): any case, any
    // argument or none.
    'Feb 13 01:16:50 batman sm-mta[25815]: s1D0GoSs025815: h.example.net [192.0.2.1]: Vrfy J Smith [rejected]',
    'Feb 13 01:16:50 batman sm-mta[25815]: s1D0GoSs025815: h.example.net [192.0.2.1]: VRFY [rejected]',
    'Feb 27 10:53:06 batman sm-mta[44307]: s1R9r60D044307: rejecting commands from  [209.15.212.253] due to pre-greeting traffic after 0 seconds',
    'Mar 13 10:59:13 SERVERNAME sendmail[7105]: n2DAj1fe006727: bogus queue file, uid=114, gid=126, mode=100660',
    'Jun  8 19:46:11 mail2 sendmail[12753]: AUTH: available mech=LOGIN DIGEST-MD5 CRAM-MD5, allowed mech=EXTERNAL GSSAPI DIGEST-MD5 CRAM-MD5 LOGIN',
  ]) {
    t.deepEqual(parseOne(line), [], line);
  }
});

test('the Sendmail parser makes no delivery of a program or file recipient', (t) => {
  t.deepEqual(
    parseOne(
      'Dec 19 18:31:59 servidor sm-mta[21454]: kBJNVw3t021322: to="| exec /usr/local/bin/procmail", ctladdr=<test@example.org> (1008/10), delay=00:00:00, xdelay=00:00:00, mailer=prog, pri=30756, dsn=2.0.0, stat=Sent',
    ),
    [],
  );
});

test("the submission program's hand-off that our daemon refused is a deferred hand-off", (t) => {
  const records = parseOne(
    'Oct 16 16:04:41 bariasi sm-msp-queue[22316]: 59GD1Jv1022086: to=larisbirzu@gmail.com, ctladdr=root (0/0), delay=00:03:22, xdelay=00:00:00, mailer=relay, pri=120321, relay=[127.0.0.1] [127.0.0.1], dsn=4.0.0, stat=Deferred: Connection refused by [127.0.0.1]',
  );

  t.like(records?.[0], { status: 'deferred', isHandoff: true, relay: '[127.0.0.1] [127.0.0.1]' });
});

test('the Sendmail parser splits recipients only outside quotes and angle brackets', (t) => {
  const line = (to: string, stat = 'stat=User unknown', dsn = '5.1.1') =>
    `Dec 19 18:31:59 mail sm-mta[21454]: kBJNVw3t021322: to=${to}, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=30756, dsn=${dsn}, ${stat}`;
  const recipients = (records: readonly MtaRecord[] | undefined) =>
    deliveries(records).map((record) => [record.recipient, record.status]);

  // A program recipient with a comma and an address-like word in it is still a program.
  t.deepEqual(recipients(parseOne(line('"|/usr/bin/procmail -a foo,bar@evil.test"'))), []);
  // A quoted local part is one recipient, even with a comma and `stat=` inside.
  t.deepEqual(recipients(parseOne(line('<"x, stat=Sent"@victim.test>'))), [
    ['"x, stat=Sent"@victim.test', 'bounced'],
  ]);
  // An escaped quote inside a quoted local part does not close it.
  t.deepEqual(
    recipients(
      parseOne(
        line('<"x\\"@victim.test>, stat=Sent (250 ok)"@attacker.test>', 'stat=User unknown'),
      ),
    ),
    [['"x\\"@victim.test>, stat=Sent (250 ok)"@attacker.test', 'bounced']],
  );
  // A quoted local part that starts like a program is an address when a domain follows.
  t.deepEqual(recipients(parseOne(line('"|x"@ok.test'))), [['"|x"@ok.test', 'bounced']]);
  // A forged `stat=Sent` in a remote's reply is no delivery with a failure DSN.
  t.deepEqual(
    recipients(
      parseOne(
        line(
          '<ann@ok.test>',
          'reply=550 5.1.1 No such user, stat=Sent (250 fake), stat=User unknown',
        ),
      ),
    ),
    [['ann@ok.test', 'bounced']],
  );
  // Nor does a forged `stat=Deferred` make a bounce a deferral.
  t.deepEqual(
    recipients(
      parseOne(
        line(
          '<ann@ok.test>',
          'reply=550 5.1.1 No such user, stat=Deferred: 451 4.4.3 Host name lookup failure, ' +
            'stat=User unknown',
        ),
      ),
    ),
    [['ann@ok.test', 'bounced']],
  );
  // A reply holding `, stat=` that the real `stat=Deferred: ...` repeats stays whole.
  const repeated = parseOne(
    line(
      '<ann@ok.test>',
      'reply=451 4.7.0 later, stat=Sent (ok), stat=Deferred: 451 4.7.0 later, stat=Sent (ok)',
      '4.7.0',
    ),
  );
  t.deepEqual(
    deliveries(repeated).map((record) => [record.status, record.text]),
    [['deferred', 'Deferred: 451 4.7.0 later, stat=Sent (ok)']],
  );
  // The split is where the stat repeats the whole reply, not an earlier one that ends alike.
  const alike = parseOne(
    line(
      '<ann@ok.test>',
      'reply=451 a, stat=Sent 451 a, stat=Deferred: 451 a, stat=Sent 451 a',
      '4.0.0',
    ),
  );
  t.deepEqual(
    deliveries(alike).map((record) => record.text),
    ['Deferred: 451 a, stat=Sent 451 a'],
  );
});
