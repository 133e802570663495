import test from 'ava';
import type { DeliveryRecord, MtaRecord } from '../../src/model.js';
import { createEximParser } from '../../src/mta/exim.js';
import { envelopeOf, parseLines, parseSample } from './helpers.js';

function parseOne(line: string): readonly MtaRecord[] | undefined {
  return createEximParser().parse(envelopeOf(line));
}

const readsDelivery = test.macro({
  exec(t, line: string, expected: Partial<DeliveryRecord>) {
    const records = parseOne(line);
    t.is(records?.length, 1);
    t.like(records?.[0], { kind: 'delivery', mta: 'exim', ...expected });
  },
  title: (provided = '') => `the Exim parser reads ${provided}`,
});

test(
  'a router DNS deferral',
  readsDelivery,
  '2026-12-03 18:32:52 1xZBbw-00007K-30 == j.smith@northwind.test R=dnslookup defer (-1): host lookup did not complete',
  {
    host: '',
    daemon: 'exim',
    queueId: '1xZBbw-00007K-30',
    recipient: 'j.smith@northwind.test',
    status: 'deferred',
    text: 'host lookup did not complete',
    time: Date.UTC(2026, 11, 3, 18, 32, 52),
  },
);

test(
  'a routing retry that was not due',
  readsDelivery,
  '2026-12-03 18:33:05 1xZBc3-0000CO-2x == sales@northwind.test routing defer (-52): retry time not reached',
  { status: 'deferred', text: 'retry time not reached' },
);

test(
  'a remote 451 with the relay and the whole reply',
  readsDelivery,
  '2026-12-03 18:32:57 1xZBc1-0000AL-0G == orders@proseware.test R=dnslookup T=remote_smtp defer (-44) H=mx.proseware.test [127.0.5.1]: SMTP error from remote mail server after RCPT TO:<orders@proseware.test>: 451 4.7.0 <orders@proseware.test>: Recipient address rejected: Temporarily deferred by local policy, try again later',
  {
    relay: 'mx.proseware.test [127.0.5.1]',
    text: 'SMTP error from remote mail server after RCPT TO:<orders@proseware.test>: 451 4.7.0 <orders@proseware.test>: Recipient address rejected: Temporarily deferred by local policy, try again later',
  },
);

test(
  'a refused connection with its errno text',
  readsDelivery,
  '2026-12-03 18:32:58 1xZBc2-0000BR-1b == office@margie.test R=dnslookup T=remote_smtp defer (111): Connection refused',
  { status: 'deferred', text: 'Connection refused' },
);

test(
  'a timeout with errno text, host and message',
  readsDelivery,
  '2024-05-01 10:00:05 1tAbCi-0001Y2-Gh == fay@example.com R=dnslookup T=remote_smtp defer (110): Connection timed out H=mx.example.com [192.0.2.25]: SMTP timeout after initial connection',
  {
    relay: 'mx.example.com [192.0.2.25]',
    text: 'Connection timed out: SMTP timeout after initial connection',
  },
);

test(
  'a 23-character id with milliseconds, pid and an IPv6 relay with port',
  readsDelivery,
  '2024-05-01 10:00:02.712 [4242] 1tAbCf-00000000AbC-0Xyz == carl@example.net R=dnslookup T=remote_smtp defer (-45) H=mx.example.net [2001:db8::25]:25: SMTP error from remote mail server after pipelined MAIL FROM:<noreply@example.com>: 450 4.7.1 Greylisted',
  {
    queueId: '1tAbCf-00000000AbC-0Xyz',
    relay: 'mx.example.net [2001:db8::25]:25',
    text: 'SMTP error from remote mail server after pipelined MAIL FROM:<noreply@example.com>: 450 4.7.1 Greylisted',
  },
);

test(
  'a line through syslog with a delivery time before the message',
  readsDelivery,
  'May  1 10:00:07 mx exim[4243]: 2024-05-01 10:00:07.175 [4243] 1tAbCj-00000000AbD-0Xy0 == gus@example.com R=localuser T=local_delivery defer (-53) DT=0.000s: Retry time not yet reached',
  { host: 'mx', queueId: '1tAbCj-00000000AbD-0Xy0', text: 'Retry time not yet reached' },
);

test(
  'an unrouteable address with the colon against the address',
  readsDelivery,
  '2026-12-03 18:32:54 1xZBby-000089-0o ** info@adventure-works.test: Unrouteable address',
  { status: 'bounced', recipient: 'info@adventure-works.test', text: 'Unrouteable address' },
);

test(
  'an older failure line with a spaced colon',
  readsDelivery,
  '2024-05-01 10:00:03 1tAbCg-0001Y0-Cd ** dee@nx.example.net : Unrouteable address',
  { status: 'bounced', recipient: 'dee@nx.example.net', text: 'Unrouteable address' },
);

test(
  'a remote rejection as a bounce',
  readsDelivery,
  '2026-12-03 18:32:57 1xZBc1-0000Ar-2Y ** former.employee@lucerne.test R=dnslookup T=remote_smtp H=mx.lucerne.test [127.0.5.2]: SMTP error from remote mail server after RCPT TO:<former.employee@lucerne.test>: 550 5.1.1 <former.employee@lucerne.test>: Recipient address rejected: User unknown in virtual mailbox table',
  { status: 'bounced', relay: 'mx.lucerne.test [127.0.5.2]' },
);

test(
  'a retry timeout as an expiry',
  readsDelivery,
  '2026-12-03 18:35:25 1xZBc3-0000CO-2x ** sales@northwind.test: retry timeout exceeded',
  { status: 'expired', text: 'retry timeout exceeded' },
);

test(
  'hosts failing for a long time as an expiry',
  readsDelivery,
  "2026-12-03 18:35:36 1xZBc9-0000GT-1U ** t.brown@margie.test R=dnslookup T=remote_smtp: all hosts for 'margie.test' have been failing for a long time (and retry time not reached)",
  {
    status: 'expired',
    text: "all hosts for 'margie.test' have been failing for a long time (and retry time not reached)",
  },
);

test(
  "older Exim's wording of the same cut-off as an expiry",
  readsDelivery,
  '2026-12-03 18:35:36 1xZBc9-0000GT-1U ** t.brown@margie.test R=dnslookup T=remote_smtp: retry time not reached for any host after a long failure period',
  {
    status: 'expired',
    text: 'retry time not reached for any host after a long failure period',
  },
);

test(
  'a delivery with its confirmation',
  readsDelivery,
  '2026-12-03 18:32:59 1xZBc3-0000Bu-0f => newsletter@woodgrove.test R=dnslookup T=remote_smtp H=mx1.woodgrove.test [127.0.5.3] C="250 2.0.0 Ok: queued as V8IJSYDMGM"',
  {
    status: 'sent',
    relay: 'mx1.woodgrove.test [127.0.5.3]',
    text: '250 2.0.0 Ok: queued as V8IJSYDMGM',
  },
);

test(
  'a delivery with TLS fields, a reused connection and CHUNKING',
  readsDelivery,
  '2024-05-01 10:01:00 1tAbCk-0001Y3-Ij => ann@example.org F=<noreply@example.com> R=dnslookup T=remote_smtp H=mx.example.org DS [192.0.2.25]:25* X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes DN="CN=mx.example.org, O=Example: Org" K C="250 2.0.0 Ok: queued as 4ABC"',
  {
    sender: 'noreply@example.com',
    relay: 'mx.example.org DS [192.0.2.25]:25*',
    text: '250 2.0.0 Ok: queued as 4ABC',
  },
);

test(
  'a local delivery by the original address',
  readsDelivery,
  '2024-05-01 10:01:01 1tAbCl-0001Y4-Kl => jo <jo@example.com> R=localuser T=local_delivery',
  { recipient: 'jo@example.com', status: 'sent', text: '' },
);

// https://github.com/drlight17/mta-log-parser/issues/22 (Exim through syslog, 23-character id).
test(
  'a failure with its delivery time after the message, without the time in the text',
  readsDelivery,
  'Feb 14 18:12:33 192.168.55.51 exim[47012]: 2025-02-14 18:12:33.501 [47012] 1tixMn-00000000C5j-1wRa ** test@domain.ru F=<root@domain.ru> P=<root@domain.ru> R=dovecot_user T=dovecot_delivery: Child process of dovecot_delivery transport returned 127 (could mean unable to exec or command does not exist) from command: /usr/local/libexec/dovecot/deliver DT=0.004s',
  {
    recipient: 'test@domain.ru',
    sender: 'root@domain.ru',
    status: 'bounced',
    text: 'Child process of dovecot_delivery transport returned 127 (could mean unable to exec or command does not exist) from command: /usr/local/libexec/dovecot/deliver',
  },
);

test('an additional address and a cutthrough delivery as sent', (t) => {
  const records = parseLines(createEximParser(), [
    '2024-05-01 10:01:02 1tAbCm-0001Y5-Mn -> bob@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.25] C="250 Ok"',
    '2024-05-01 10:01:03 1tAbCn-0001Y6-Op >> cy@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.25] C="250 Ok"',
    '2024-05-01 10:01:04 1tAbCo-0001Y7-Qr *> dan@example.com R=dnslookup T=remote_smtp',
  ]);
  t.deepEqual(
    records.map((record) => record.kind === 'delivery' && [record.recipient, record.status]),
    [
      ['bob@example.com', 'sent'],
      ['cy@example.com', 'sent'],
    ],
  );
});

test('the Exim parser keeps literal backslash-n in a multi-line reply', (t) => {
  const records = parseOne(
    '2024-05-01 10:01:05 1tAbCp-0001Y8-St ** eve@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.7]: SMTP error from remote mail server after RCPT TO:<eve@example.net>: 550-5.1.1 first line\\n550 5.1.1 last line',
  );
  t.like(records?.[0], {
    text: 'SMTP error from remote mail server after RCPT TO:<eve@example.net>: 550-5.1.1 first line\\n550 5.1.1 last line',
  });
});

test('the Exim parser remembers the sender of a fakereject arrival', (t) => {
  const records = parseLines(createEximParser(), [
    '2024-05-01 10:02:00 1tAbCr-0001YA-Wx (= ann@example.org H=h.example.net [198.51.100.5] P=esmtp S=1234',
    '2024-05-01 10:02:01 1tAbCr-0001YA-Wx => quarantine@example.com R=localuser T=local_delivery',
  ]);

  t.like(records[0], { kind: 'delivery', sender: 'ann@example.org' });
});

test('the Exim parser puts the arrival sender on deliveries and forgets it on completion', (t) => {
  const records = parseLines(createEximParser(), [
    '2026-12-03 18:32:54 1xZBby-000089-0o <= labuser@sender.test U=root P=local S=418 id=lab-ex-8-1796322774@ex-out.sender.test',
    '2026-12-03 18:32:54 1xZBby-000089-0o ** info@adventure-works.test: Unrouteable address',
    '2026-12-03 18:32:54 1xZBby-00008D-0q <= <> R=1xZBby-000089-0o U=Debian-exim P=local S=1714',
    '2026-12-03 18:32:54 1xZBby-000089-0o Completed',
    '2026-12-03 18:32:54 1xZBby-00008D-0q => labuser@sender.test R=dnslookup T=remote_smtp H=mx.sender.test [127.0.5.4] C="250 2.0.0 Ok: queued as DROSKRG6BW"',
    '2026-12-03 18:32:55 1xZBby-000089-0o ** info@adventure-works.test: Unrouteable address',
  ]);

  t.deepEqual(
    records.map((record) => (record.kind === 'delivery' ? record.sender : record.kind)),
    ['labuser@sender.test', 'message-done', '', undefined],
  );
});

const understoodWithoutRecords = test.macro({
  exec(t, line: string) {
    t.deepEqual(parseOne(line), []);
  },
  title: (_provided, line: string) =>
    `the Exim parser understands, and takes no record from: ${line.slice(20, 110)}`,
});

for (const line of [
  '2026-12-03 18:32:50 exim 4.96 daemon started: pid=418, -q15s, not listening for SMTP',
  '2026-12-03 18:32:50 Start queue run: pid=427',
  '2026-12-03 18:32:50 End queue run: pid=427',
  '2026-12-03 18:32:52 1xZBbw-00007K-30 <= labuser@sender.test U=root P=local S=412 id=lab-ex-2-1796322772@ex-out.sender.test',
  '2026-12-03 18:32:58 1xZBc2-0000BR-1b H=mail.margie.test [127.0.5.9] Connection refused',
  // Recipients our own configuration discarded: neither delivered nor failed.
  '2026-12-03 18:32:58 1xZBc2-0000BR-1b => :blackhole: <ann@example.com> R=blackhole_router',
  '2026-12-03 18:32:58 1xZBc2-0000BR-1b => blackhole (DATA ACL discarded recipients): ann@example.com',
  '2026-12-03 18:34:36 1xZBbw-00007K-30 Spool file for 1xZBbw-00007K-30 is locked (another process is handling this message)',
  '2024-05-01 10:00:00 1tAbCd-0001Xy-Qz H=mx.example.com [192.0.2.25]: SMTP timeout after EHLO mail.example.org: Connection timed out',
  '2024-05-01 10:00:00 SMTP connection from [198.51.100.5]:45263 (TCP/IP connection count = 1)',
  '2024-05-01 10:00:00 H=(helo.example.net) [198.51.100.5] F=<a@example.org> temporarily rejected RCPT <b@example.com>: DNS lookup of "example.org" deferred',
  '2024-05-01 10:00:00 1tAbCd-0001Xy-Qz *> dan@example.com R=dnslookup T=remote_smtp',
  '2024-05-01 10:00:00 dovecot_login authenticator failed for (host.example.net) [203.0.113.20]: 535 Incorrect authentication data (set_id=info@example.org)',
  '2024-05-01 10:00:00 plain authenticator failed for ([198.51.100.7]) [198.51.100.7]: 535 Incorrect authentication data',
  // Older Exim's per-host failures without `H=` (Ubuntu Forums threads, 2011 and 2013).
  '2011-03-21 07:42:26 1Q1XGK-0001gY-4B alt4.gmail-smtp-in.l.google.com [74.125.115.27] No route to host',
  '2013-01-05 18:51:21 1TrXtn-0003N5-Ot gmail-smtp-msa.l.google.com [2a00:1450:4013:c01::6c] Network is unreachable',
  // Context from Exim's test suite and real servers (alaveteli, fail2ban, maildev).
  '2016-02-03 06:59:49 [16392] no MAIL in SMTP connection from null.ukcod.org.uk (null) [46.235.226.171]:57365 I=[127.0.0.1]:25 D=0s C=HELO,QUIT',
  '1999-03-02 09:44:33 10HmbB-0005vi-00 CALLER@test.ex: error ignored',
  '1999-03-02 09:44:33 10HmaX-000000005vi-0000 rmt_reject@test.ex: error ignored: RFC 3461 DSN, failure notify not requested',
  '2017-01-11 10:00:00 1cR6qs-00002i-Ht TLS session failure: delivering unencrypted to 172.18.0.6 [172.18.0.6] (not in hosts_require_tls)',
  '1999-03-02 09:44:33 10HmbP-0005vi-00 DANE attempt failed; TLS connection to danebroken2.test.ex [127.0.0.1]: (certificate verification failed): Verification failed. CA constrains were violated.',
  '1999-03-02 09:44:33 10HmbS-0005vi-00 DANE error: TLSA lookup for danebroken4.test.ex not DNSSEC',
  '1999-03-02 09:44:33 10HmbC-0005vi-00 no IP address found for host nonexist.test.ex',
  // No delivery was tried: the domain waits for a queue run by our own configuration.
  '2012-02-13 14:59:15 1Rwtcp-0000Ac-BW == pmtzjnyta@brightconsult.ru R=dnslookup T=remote_smtp defer (-1): domain matches queue_smtp_domains, or -odqs set',
  // The same with a named queue, the parents of a redirected address, a quoted local part.
  '2024-03-01 10:00:00 1rZ5Ab-0001Cd-Ef == c@ok.test Q=bulk R=dnslookup T=remote_smtp defer (-1): domain matches queue_smtp_domains, or -odqs set',
  '2024-03-01 10:00:00 1rZ5Ab-0001Cd-Ef == c@ok.test (p@ok.test) <top@ok.test> R=dnslookup T=remote_smtp defer (-1): domain matches queue_smtp_domains, or -odqs set',
  '2024-03-01 10:00:00 1rZ5Ab-0001Cd-Ef == "a b"@ok.test R=dnslookup T=remote_smtp defer (-1): domain matches queue_smtp_domains, or -odqs set',
]) {
  test(understoodWithoutRecords, line);
}

const notUnderstood = test.macro({
  exec(t, line: string) {
    t.is(parseOne(line), undefined);
  },
  title: (_provided, line: string) =>
    `the Exim parser does not claim to understand: ${line.slice(20, 110)}`,
});

for (const line of [
  '2024-05-01 10:00:00 1tAbCd-0001Xy-Qz == ',
  '2024-05-01 10:00:00 1tAbCd-0001Xy-Qz something Exim never logs',
  '2024-05-01 10:00:00 a line no Exim version writes',
]) {
  test(notUnderstood, line);
}

test('the Exim parser accepts exim and exim4 and no other tags', (t) => {
  const parser = createEximParser();
  t.true(['exim', 'exim4'].every((tag) => parser.accepts(tag)));
  t.false(['postfix/smtp', 'sm-mta', 'sendmail', 'dovecot'].some((tag) => parser.accepts(tag)));
});

test('the Exim parser understands every line of the Exim lab sample', (t) => {
  const kinds = new Map<string, number>();
  for (const { envelope, records } of parseSample('exim-mainlog')) {
    t.not(records, undefined, envelope.message);
    for (const record of records ?? []) kinds.set(record.kind, (kinds.get(record.kind) ?? 0) + 1);
  }

  t.deepEqual(Object.fromEntries(kinds), { delivery: 207, 'message-done': 57 });
});

test('the Exim parser reads the statuses of the lab sample', (t) => {
  const statuses = new Map<string, number>();
  for (const { records } of parseSample('exim-mainlog')) {
    for (const record of records ?? []) {
      if (record.kind === 'delivery')
        statuses.set(record.status, (statuses.get(record.status) ?? 0) + 1);
    }
  }

  t.deepEqual(Object.fromEntries(statuses), { deferred: 150, bounced: 10, sent: 39, expired: 8 });
});

test("a remote's reply that quotes Exim's queue-only words is still a deferral", (t) => {
  const records = parseLines(createEximParser(), [
    '2024-12-03 18:32:56 1tAbCd-000123-AB == a@b.test R=dnslookup T=remote_smtp defer (-44) H=mx.b.test [1.2.3.4]: SMTP error from remote mail server after RCPT TO:<a@b.test>: 451 4.3.0 domain matches queue_smtp_domains, or -odqs set',
    '2024-12-03 18:32:56 1tAbCd-000123-AB == a@b.test R=dnslookup T=remote_smtp defer (-44) H=mx.b.test [1.2.3.4]: SMTP error from remote mail server after RCPT TO:<a@b.test>: 451 later defer (-1): domain matches queue_smtp_domains, or -odqs set',
  ]);

  t.is(records.length, 2);
  t.like(records[0], { kind: 'delivery', status: 'deferred' });
  t.like(records[1], { kind: 'delivery', status: 'deferred' });
});

test("a quoted local part, escaped quotes and all, is the sender's text: it ends nothing", (t) => {
  const records = parseLines(createEximParser(), [
    '2026-12-03 10:00:00 1tAbCd-0001Xy-Qz <= "a b"@attacker.test H=mx.attacker.test [192.0.2.7] P=esmtp S=512',
    '2026-12-03 10:00:01 1tAbCd-0001Xy-Qz == "x\\"@victim.test: host lookup did not complete"@attacker.test R=dnslookup T=remote_smtp defer (111): Connection refused H=mx.attacker.test [192.0.2.7]',
    '2026-12-03 10:00:02 1tAbCd-0002Xy-Qz == bob@victim.test F=<"a : host lookup did not complete"@attacker.test> R=dnslookup T=remote_smtp defer (111): Connection refused H=mx.victim.test [192.0.2.1]',
  ]);
  const delivered = records.filter((record) => record.kind === 'delivery');

  t.deepEqual(
    delivered.map((record) => [record.recipient.split('@').at(-1), record.sender, record.relay]),
    [
      ['attacker.test', '"a b"@attacker.test', 'mx.attacker.test [192.0.2.7]'],
      [
        'victim.test',
        '"a : host lookup did not complete"@attacker.test',
        'mx.victim.test [192.0.2.1]',
      ],
    ],
  );
  t.true(delivered.every((record) => record.text.startsWith('Connection refused')));
});

test('an original address or parent with quoted text, or a quote left open, ends nothing', (t) => {
  const defer = 'R=dnslookup T=remote_smtp defer (111): Connection refused';
  const records = parseLines(createEximParser(), [
    '2026-12-03 10:00:01 1tAbCd-0001Xy-Qz == bob@remote.test ' +
      `<"x>: host lookup did not complete"@catchall.test> ${defer} H=mx.remote.test [192.0.2.9]`,
    `2026-12-03 10:00:02 1tAbCd-0002Xy-Qz == "a\\"@victim.test ${defer} ` +
      'H=mx.victim.test [192.0.2.1]',
    // A later quote (in the remote's reply) does not close the one left open.
    `2026-12-03 10:00:03 1tAbCd-0003Xy-Qz == "a\\"@victim.test ${defer} ` +
      'H=mx.victim.test [192.0.2.1]: said "no"',
  ]);
  const delivered = records.filter((record) => record.kind === 'delivery');

  t.deepEqual(
    delivered.map((record) => [record.recipient, record.relay, record.text]),
    [
      ['bob@remote.test', 'mx.remote.test [192.0.2.9]', 'Connection refused'],
      ['"a\\"@victim.test', 'mx.victim.test [192.0.2.1]', 'Connection refused'],
      ['"a\\"@victim.test', 'mx.victim.test [192.0.2.1]', 'Connection refused: said "no"'],
    ],
  );
});

test('a line of many fields left open is read in one pass, as Exim writes none of them', (t) => {
  for (const unit of [' (a,', ' <a,', ' F=<a,', ' (a', ' <"a']) {
    const fields = unit.repeat(Math.floor(60_000 / unit.length));
    const [record] = parseLines(createEximParser(), [
      `2026-12-03 10:00:01 1tAbCd-0001Xy-Qz == bob@remote.test${fields} R=dnslookup defer (-1): ` +
        'host lookup did not complete',
    ]);
    t.like(record, { kind: 'delivery', recipient: 'bob@remote.test' }, unit);
  }
});
