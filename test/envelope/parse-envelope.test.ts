import { spawnSync } from 'node:child_process';

import test from 'ava';

import { MxtriageError } from '../../src/errors.js';
import { createEnvelopeParser, type EnvelopeOptions } from '../../src/envelope/parse-envelope.js';

/** Logs read on 3 December 2026 in UTC unless a case says otherwise. */
const UTC_DECEMBER: EnvelopeOptions = {
  timeZone: 'UTC',
  referenceTime: Date.parse('2026-12-03T20:00:00Z'),
};
const SOURCE = { file: 'mail.log', line: 7 };

interface Expected {
  readonly time: string;
  readonly host: string;
  readonly program: string;
  readonly pid?: number;
  readonly message: string;
}

const parses = test.macro({
  exec(t, line: string, expected: Expected, options: EnvelopeOptions = UTC_DECEMBER) {
    const envelope = createEnvelopeParser(options).parse(line, SOURCE);
    const { time, ...rest } = expected;

    t.deepEqual(envelope, { time: Date.parse(time), ...rest, source: SOURCE });
  },
  title: (given = '', line: string) => `${given} reads: ${line.slice(0, 60)}`,
});

const rejects = test.macro({
  exec(t, line: string) {
    t.is(createEnvelopeParser(UTC_DECEMBER).parse(line, SOURCE), undefined);
  },
  title: (given = '', line: string) =>
    `${given} leaves unrecognised: ${JSON.stringify(line.slice(0, 60))}`,
});

test(
  'T1',
  parses,
  'Mar 11 18:22:26 mail postfix/smtp[9889]: 4F2A31C0D9E: to=<ann@example.com>, relay=none, delay=0.11, delays=0.1/0/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again)',
  {
    time: '2026-03-11T18:22:26Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 9889,
    message:
      '4F2A31C0D9E: to=<ann@example.com>, relay=none, delay=0.11, delays=0.1/0/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again)',
  },
);
test(
  'T1 with a space-padded day',
  parses,
  'Oct  7 15:51:41 mail postfix/error[2876]: 3EED5228B9: to=<bob@nx.example.net>, relay=none',
  {
    time: '2026-10-07T15:51:41Z',
    host: 'mail',
    program: 'postfix/error',
    pid: 2876,
    message: '3EED5228B9: to=<bob@nx.example.net>, relay=none',
  },
);
test(
  'T1 with a zero-padded day',
  parses,
  'Mar 07 12:00:01 mail.example.org postfix/qmgr[416]: AFF09186110: removed',
  {
    time: '2026-03-07T12:00:01Z',
    host: 'mail.example.org',
    program: 'postfix/qmgr',
    pid: 416,
    message: 'AFF09186110: removed',
  },
);
test(
  'T1 with a single-space day',
  parses,
  'Mar 7 12:00:01 192.0.2.25 postfix-out/smtp[7001]: 1B2C3D4E5F: to=<eve@example.net>',
  {
    time: '2026-03-07T12:00:01Z',
    host: '192.0.2.25',
    program: 'postfix-out/smtp',
    pid: 7001,
    message: '1B2C3D4E5F: to=<eve@example.net>',
  },
);
test(
  'T1 from the lab sample',
  parses,
  'Dec  3 18:32:50 mailhost postfix/postfix-script[412]: starting the Postfix mail system',
  {
    time: '2026-12-03T18:32:50Z',
    host: 'mailhost',
    program: 'postfix/postfix-script',
    pid: 412,
    message: 'starting the Postfix mail system',
  },
);
test(
  'T1 with a multi-part Postfix service name',
  parses,
  'Mar 11 09:00:00 mail postfix/submission/smtpd[123]: connect from client.example.net[198.51.100.5]',
  {
    time: '2026-03-11T09:00:00Z',
    host: 'mail',
    program: 'postfix/submission/smtpd',
    pid: 123,
    message: 'connect from client.example.net[198.51.100.5]',
  },
);
test(
  'T1 with a Postfix tag without a daemon',
  parses,
  'Mar 11 09:00:00 mail postfix[6084]: Postfix is running with backwards-compatible default settings',
  {
    time: '2026-03-11T09:00:00Z',
    host: 'mail',
    program: 'postfix',
    pid: 6084,
    message: 'Postfix is running with backwards-compatible default settings',
  },
);
test(
  'T1 from Sendmail',
  parses,
  'Jul 28 14:38:01 mail sm-mta[18001]: m6PElsEm007582: to=<ann@example.com>, ctladdr=<www-data@mail.example.org> (33/33), delay=2+22:50:07, stat=Deferred: Name server: example.com.: host name lookup failure',
  {
    time: '2026-07-28T14:38:01Z',
    host: 'mail',
    program: 'sm-mta',
    pid: 18001,
    message:
      'm6PElsEm007582: to=<ann@example.com>, ctladdr=<www-data@mail.example.org> (33/33), delay=2+22:50:07, stat=Deferred: Name server: example.com.: host name lookup failure',
  },
);
test(
  'T1 from the Sendmail submission program',
  parses,
  'Dec  3 18:32:50 mailhost sm-msp-queue[424]: starting daemon (8.17.1.9): queueing@00:00:15',
  {
    time: '2026-12-03T18:32:50Z',
    host: 'mailhost',
    program: 'sm-msp-queue',
    pid: 424,
    message: 'starting daemon (8.17.1.9): queueing@00:00:15',
  },
);
test(
  'T1 without a pid',
  parses,
  'Apr  2 00:15:25 mail sendmail: u31FFPtp032300: to=<carl@example.org>, stat=Deferred',
  {
    time: '2026-04-02T00:15:25Z',
    host: 'mail',
    program: 'sendmail',
    message: 'u31FFPtp032300: to=<carl@example.org>, stat=Deferred',
  },
);
test(
  'T1 without a host',
  parses,
  'Apr  2 00:15:25 postfix/smtp[9]: 2C3D4E5F6A: to=<fay@example.org>',
  {
    time: '2026-04-02T00:15:25Z',
    host: '',
    program: 'postfix/smtp',
    pid: 9,
    message: '2C3D4E5F6A: to=<fay@example.org>',
  },
);
test(
  'T2',
  parses,
  '2024-03-13T12:04:09.755361+01:00 mail postfix-out/smtp[7001]: 1B2C3D4E5F: to=<eve@example.net>, relay=none, dsn=4.4.3, status=deferred',
  {
    time: '2024-03-13T11:04:09.755Z',
    host: 'mail',
    program: 'postfix-out/smtp',
    pid: 7001,
    message: '1B2C3D4E5F: to=<eve@example.net>, relay=none, dsn=4.4.3, status=deferred',
  },
);
test(
  'T2 with a zero offset',
  parses,
  '2020-11-30T04:23:31.117593+00:00 mail sendmail[63191]: 0AU4NVat063189: to=<fay@example.com>, delay=00:00:00',
  {
    time: '2020-11-30T04:23:31.117Z',
    host: 'mail',
    program: 'sendmail',
    pid: 63191,
    message: '0AU4NVat063189: to=<fay@example.com>, delay=00:00:00',
  },
);
test(
  'T2 in UTC with Z and a negative offset',
  parses,
  '2024-03-13T07:04:09-04:00 mail.example.org postfix/qmgr[1]: 4F2A31C0D9E: removed',
  {
    time: '2024-03-13T11:04:09Z',
    host: 'mail.example.org',
    program: 'postfix/qmgr',
    pid: 1,
    message: '4F2A31C0D9E: removed',
  },
);
test(
  'RFC 3339 with a space for the T, as rsyslog and syslog-ng templates write it,',
  parses,
  '2026-10-23 22:00:00.000000+02:00 mailhost postfix/smtp[446]: A00000000: to=<u0@a.test>, relay=none, delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=a.test type=MX: Host not found, try again)',
  {
    time: '2026-10-23T20:00:00Z',
    host: 'mailhost',
    program: 'postfix/smtp',
    pid: 446,
    message:
      'A00000000: to=<u0@a.test>, relay=none, delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=a.test type=MX: Host not found, try again)',
  },
);
test(
  'RFC 3339 with a space and no zone, in the given time zone,',
  parses,
  '2026-07-28 14:38:01 mx exim[4243]: 2026-07-28 14:38:01 1tAbCd-0001Xy-Qz Completed',
  {
    time: '2026-07-28T12:38:01Z',
    host: 'mx',
    program: 'exim',
    pid: 4243,
    message: '1tAbCd-0001Xy-Qz Completed',
  },
  { ...UTC_DECEMBER, timeZone: 'Europe/Berlin' },
);
test(
  'an Exim mainlog line whose second word ends in a bracket and colon is still Exim, and',
  parses,
  '2026-07-28 14:38:01 H=mx.example [192.0.2.1]: SMTP error from remote mail server',
  {
    time: '2026-07-28T14:38:01Z',
    host: '',
    program: 'exim',
    message: 'H=mx.example [192.0.2.1]: SMTP error from remote mail server',
  },
);
test('T2 with Z', parses, '2024-03-13T11:04:09Z mail exim4[2]: Start queue run: pid=427', {
  time: '2024-03-13T11:04:09Z',
  host: 'mail',
  program: 'exim4',
  pid: 2,
  message: 'Start queue run: pid=427',
});
test(
  'T5',
  parses,
  '2024-03-13T12:04:09+0100 mail postfix/smtp[53185]: BB40124D8D: to=<carl@example.org>',
  {
    time: '2024-03-13T11:04:09Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 53185,
    message: 'BB40124D8D: to=<carl@example.org>',
  },
);
test(
  'T5 with microseconds',
  parses,
  '2024-03-13T12:04:09.755361+0100 mail postfix/smtp[53185]: BB40124D8D: removed',
  {
    time: '2024-03-13T11:04:09.755Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 53185,
    message: 'BB40124D8D: removed',
  },
);
test(
  'T3',
  parses,
  '<22>1 2024-03-13T11:04:09.755361Z mail postfix/smtp 4242 - - 4F2A31C0D9E: to=<ann@example.com>, status=sent',
  {
    time: '2024-03-13T11:04:09.755Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 4242,
    message: '4F2A31C0D9E: to=<ann@example.com>, status=sent',
  },
);
test(
  'T3 with a nil pid and structured data',
  parses,
  '<22>1 2024-03-13T12:04:09+01:00 mail.example.org sm-mta - ID47 [x@1 a="b\\]c d" e="f"][y@2 g="h"] \uFEFFm6PElsEm007582: to=<ann@example.com>',
  {
    time: '2024-03-13T11:04:09Z',
    host: 'mail.example.org',
    program: 'sm-mta',
    message: 'm6PElsEm007582: to=<ann@example.com>',
  },
);
test(
  'an RFC 3164 line with its priority',
  parses,
  '<22>Mar 11 18:22:26 mail postfix/smtp[9889]: 4F2A31C0D9E: removed',
  {
    time: '2026-03-11T18:22:26Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 9889,
    message: '4F2A31C0D9E: removed',
  },
);
test(
  'T7',
  parses,
  '2024-05-01 10:00:00 1tAbCd-0001Xy-Qz == ann@example.com R=dnslookup defer (-1): host lookup did not complete',
  {
    time: '2024-05-01T10:00:00Z',
    host: '',
    program: 'exim',
    message:
      '1tAbCd-0001Xy-Qz == ann@example.com R=dnslookup defer (-1): host lookup did not complete',
  },
);
test(
  'T7 with milliseconds and pid',
  parses,
  '2024-05-01 10:00:01.712 [4242] 1tAbCe-00000000AbC-0Xyz == bob@example.org R=dnslookup T=remote_smtp defer (-44) H=mx.example.org [192.0.2.25]: SMTP error from remote mail server after RCPT TO:<bob@example.org>: 451 4.7.0 Temporary server error. Please try again later',
  {
    time: '2024-05-01T10:00:01.712Z',
    host: '',
    program: 'exim',
    pid: 4242,
    message:
      '1tAbCe-00000000AbC-0Xyz == bob@example.org R=dnslookup T=remote_smtp defer (-44) H=mx.example.org [192.0.2.25]: SMTP error from remote mail server after RCPT TO:<bob@example.org>: 451 4.7.0 Temporary server error. Please try again later',
  },
);
test(
  'T7 with a zone',
  parses,
  '2024-05-01 10:00:02 +0100 [4242] 1tAbCf-0001Xz-Ab ** dee@nx.example.net : Unrouteable address',
  {
    time: '2024-05-01T09:00:02Z',
    host: '',
    program: 'exim',
    pid: 4242,
    message: '1tAbCf-0001Xz-Ab ** dee@nx.example.net : Unrouteable address',
  },
);
test(
  'T7 with milliseconds and a zone',
  parses,
  '2024-05-01 10:00:02.500 -0230 Start queue run: pid=427',
  {
    time: '2024-05-01T12:30:02.500Z',
    host: '',
    program: 'exim',
    message: 'Start queue run: pid=427',
  },
);
test(
  'T7 from the lab sample',
  parses,
  '2026-12-03 18:32:52 1xZBbw-00007K-30 == j.smith@northwind.test R=dnslookup defer (-1): host lookup did not complete',
  {
    time: '2026-12-03T18:32:52Z',
    host: '',
    program: 'exim',
    message:
      '1xZBbw-00007K-30 == j.smith@northwind.test R=dnslookup defer (-1): host lookup did not complete',
  },
);
test(
  "T8, taking the year from Exim's own timestamp",
  parses,
  'May  1 10:00:07 mx exim[4243]: 2024-05-01 10:00:07.175 [4243] 1tAbCj-00000000AbD-0Xy0 == gus@example.com R=localuser T=local_delivery defer (-53) DT=0.000s: Retry time not yet reached',
  {
    time: '2024-05-01T10:00:07.175Z',
    host: 'mx',
    program: 'exim',
    pid: 4243,
    message:
      '1tAbCj-00000000AbD-0Xy0 == gus@example.com R=localuser T=local_delivery defer (-53) DT=0.000s: Retry time not yet reached',
  },
);
test(
  'T8 without the inner timestamp',
  parses,
  'May  1 10:00:07 mx exim4[4243]: [4243] 1tAbCd-0001Xy-Qz == ann@example.com routing defer (-52): retry time not reached',
  {
    time: '2026-05-01T10:00:07Z',
    host: 'mx',
    program: 'exim4',
    pid: 4243,
    message: '1tAbCd-0001Xy-Qz == ann@example.com routing defer (-52): retry time not reached',
  },
);
test(
  'T8 under an RFC 3339 envelope',
  parses,
  '2024-05-01T10:00:07.000+02:00 mx exim4[17]: 2024-05-01 10:00:07 1tAbCd-0001Xy-Qz Completed',
  {
    time: '2024-05-01T08:00:07Z',
    host: 'mx',
    program: 'exim4',
    pid: 17,
    message: '1tAbCd-0001Xy-Qz Completed',
  },
);
test(
  'T9',
  parses,
  '2024-09-13T20:01:37.51Z Sep 14 04:01:37 host postfix/smtp[123]: 5E6F7A8B9C: to=<kim@example.com>, status=sent',
  {
    time: '2024-09-13T20:01:37.510Z',
    host: 'host',
    program: 'postfix/smtp',
    pid: 123,
    message: '5E6F7A8B9C: to=<kim@example.com>, status=sent',
  },
);
test(
  'T9 around an RFC 3339 line',
  parses,
  '2024-09-13T20:01:37.51Z 2024-09-14T04:01:37+08:00 host postfix/qmgr[5]: 5E6F7A8B9C: removed',
  {
    time: '2024-09-13T20:01:37.510Z',
    host: 'host',
    program: 'postfix/qmgr',
    pid: 5,
    message: '5E6F7A8B9C: removed',
  },
);
test(
  'T9 from a Kubernetes node (CRI)',
  parses,
  '2026-12-03T18:32:52.123456789Z stdout F Dec  3 18:32:52 mailhost postfix/smtp[446]: AFF09186110: to=<j.smith@northwind.test>, relay=none, delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again)',
  {
    time: '2026-12-03T18:32:52.123Z',
    host: 'mailhost',
    program: 'postfix/smtp',
    pid: 446,
    message:
      'AFF09186110: to=<j.smith@northwind.test>, relay=none, delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again)',
  },
);
test(
  'T9 from a Kubernetes node around an RFC 3339 line',
  parses,
  '2026-12-03T18:32:12.000000000Z stdout F 2026-12-03T18:32:12.123456+00:00 mailhost postfix/qmgr[416]: AFF09186110: removed',
  {
    time: '2026-12-03T18:32:12.000Z',
    host: 'mailhost',
    program: 'postfix/qmgr',
    pid: 416,
    message: 'AFF09186110: removed',
  },
);
test(
  'T9 from a Kubernetes node on stderr, with an offset and no fraction',
  parses,
  '2026-12-03T19:32:54+01:00 stderr F Dec  3 18:32:54 mailhost postfix/bounce[497]: 08B0F18606B: sender non-delivery notification: 0A59F186126',
  {
    time: '2026-12-03T18:32:54Z',
    host: 'mailhost',
    program: 'postfix/bounce',
    pid: 497,
    message: '08B0F18606B: sender non-delivery notification: 0A59F186126',
  },
);
test(
  'T9 from a Kubernetes node with more tags after the first',
  parses,
  '2026-12-03T18:32:53.5Z stdout F:x Dec  3 18:32:53 mailhost postfix/pickup[415]: 5C3A5186065: uid=0 from=<labuser@sender.test>',
  {
    time: '2026-12-03T18:32:53.500Z',
    host: 'mailhost',
    program: 'postfix/pickup',
    pid: 415,
    message: '5C3A5186065: uid=0 from=<labuser@sender.test>',
  },
);
test(
  'T9 from a Kubernetes node around an Exim syslog line',
  parses,
  '2026-12-03T18:32:52.25Z stdout F Dec  3 18:32:52 mailhost exim4[4243]: 2026-12-03 18:32:51 1xZBbw-00007K-30 == j.smith@northwind.test R=dnslookup defer (-1): host lookup did not complete',
  {
    time: '2026-12-03T18:32:52.250Z',
    host: 'mailhost',
    program: 'exim4',
    pid: 4243,
    message:
      '1xZBbw-00007K-30 == j.smith@northwind.test R=dnslookup defer (-1): host lookup did not complete',
  },
);
test(
  'T6',
  parses,
  '{"__REALTIME_TIMESTAMP":"1710327849755361","_HOSTNAME":"mail","SYSLOG_IDENTIFIER":"postfix/smtp","SYSLOG_PID":"9889","PRIORITY":"6","MESSAGE":"4F2A31C0D9E: removed"}',
  {
    time: '2024-03-13T11:04:09.755Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 9889,
    message: '4F2A31C0D9E: removed',
  },
);

test('empty', rejects, '');
test('plain text', rejects, 'not a log line');
test('a line with a host and no tag', rejects, 'Dec  3 18:32:50 mailhost something happened');
test('an unknown month', rejects, 'Foo  3 18:32:50 mailhost postfix/smtp[1]: x');
test('an impossible hour', rejects, 'Dec  3 24:32:50 mailhost postfix/smtp[1]: x');
test('month 13', rejects, '2024-13-01T00:00:00Z host postfix/smtp[1]: x');
test('a day February never has', rejects, 'Feb 30 18:32:52 mailhost postfix/smtp[1]: x');
test('the 31st of a 30-day month', rejects, 'Apr 31 18:32:52 mailhost postfix/smtp[1]: x');
test(
  'a date that does not exist',
  rejects,
  '2026-02-30T18:32:52+01:00 mailhost postfix/smtp[1]: x',
);
test('29 February of a common year', rejects, '2026-02-29T18:32:52Z mailhost postfix/smtp[1]: x');
test(
  'an offset of more than 23 hours',
  rejects,
  '2026-12-03T18:32:52+25:00 mailhost postfix/smtp[1]: x',
);
test('a year before 1000', rejects, '0026-12-03T18:32:52Z mailhost postfix/smtp[1]: x');
test('a time past the year 9999', rejects, '9999-12-31T23:30:00-01:00 mailhost postfix/smtp[1]: x');
test('an offset of 60 minutes', rejects, '2026-12-03T18:32:52+01:60 mailhost postfix/smtp[1]: x');
test(
  'a journal time past the year 9999',
  rejects,
  '{"__REALTIME_TIMESTAMP":"99999999999999999999","_HOSTNAME":"mailhost","SYSLOG_IDENTIFIER":"postfix/smtp","MESSAGE":"AFF09186110: removed"}',
);
test(
  '29 February of a leap year',
  parses,
  '2024-02-29T18:32:52Z mailhost postfix/qmgr[1]: AFF09186110: removed',
  {
    time: '2024-02-29T18:32:52Z',
    host: 'mailhost',
    program: 'postfix/qmgr',
    pid: 1,
    message: 'AFF09186110: removed',
  },
);
test('a pid that is not a number', rejects, 'Dec  3 18:32:50 mailhost postfix/smtp[x1]: y');
test('an RFC 5424 line without a time', rejects, '<22>1 - mail postfix/smtp 1 - - x');
test(
  'a journal entry without a message',
  rejects,
  '{"__REALTIME_TIMESTAMP":"1710327849755361","_HOSTNAME":"mx"}',
);
test('broken JSON', rejects, '{"__REALTIME_TIMESTAMP":"17103');
test(
  'a CRI line from an unknown stream',
  rejects,
  '2026-12-03T18:32:52.1Z stdin F Dec  3 18:32:52 mailhost postfix/smtp[446]: x',
);
test(
  'a CRI line with an unknown tag',
  rejects,
  '2026-12-03T18:32:52.1Z stdout X Dec  3 18:32:52 mailhost postfix/smtp[446]: x',
);
test(
  'a CRI line around text that is no log line',
  rejects,
  '2026-12-03T18:32:52.1Z stderr F exec /usr/sbin/postfix failed: No such file or directory',
);

test('formats mix freely within one input', (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);
  const lines = [
    'Dec  3 18:32:50 mailhost postfix/master[414]: daemon started',
    '2026-12-03T18:33:00.5+00:00 mailhost postfix/qmgr[416]: AFF09186110: removed',
    '2026-12-03 18:34:00 1xZBbw-00007K-30 Completed',
    '{"__REALTIME_TIMESTAMP":"1796322900000000","_HOSTNAME":"mailhost","SYSLOG_IDENTIFIER":"sm-mta","_PID":"420","MESSAGE":"starting daemon"}',
  ];
  const envelopes = lines.map((line, index) =>
    parser.parse(line, { file: 'mixed', line: index + 1 }),
  );

  t.deepEqual(
    envelopes.map(
      (envelope) =>
        typeof envelope === 'object' && [
          new Date(envelope.time).toISOString(),
          envelope.program,
          envelope.pid,
        ],
    ),
    [
      ['2026-12-03T18:32:50.000Z', 'postfix/master', 414],
      ['2026-12-03T18:33:00.500Z', 'postfix/qmgr', 416],
      ['2026-12-03T18:34:00.000Z', 'exim', undefined],
      ['2026-12-03T18:35:00.000Z', 'sm-mta', 420],
    ],
  );
});

test('the first year-less line of an input takes the year of the reference time', (t) => {
  t.is(
    timeOf(
      createEnvelopeParser(UTC_DECEMBER).parse('Jan  2 08:00:00 mail postfix/smtp[1]: x', SOURCE),
    ),
    '2026-01-02T08:00:00.000Z',
  );
  t.is(
    timeOf(
      createEnvelopeParser(UTC_DECEMBER).parse('Dec  4 10:00:00 mail postfix/smtp[1]: x', SOURCE),
    ),
    '2026-12-04T10:00:00.000Z',
  );
});

test('a year-less line more than a day after the reference time is from the year before', (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);

  t.is(
    timeOf(parser.parse('Dec  5 10:00:00 mail postfix/smtp[1]: x', SOURCE)),
    '2025-12-05T10:00:00.000Z',
  );
});

test('a file written from December to January and read in January gets both years right', (t) => {
  const parser = createEnvelopeParser({
    timeZone: 'UTC',
    referenceTime: Date.parse('2027-01-05T12:00:00Z'),
  });
  const times = [
    'Dec 31 23:59:59 mail postfix/smtp[1]: x',
    'Jan  1 00:00:01 mail postfix/smtp[1]: x',
    'Jan  5 11:59:00 mail postfix/smtp[1]: x',
  ].map((line) => timeOf(parser.parse(line, SOURCE)));

  t.deepEqual(times, [
    '2026-12-31T23:59:59.000Z',
    '2027-01-01T00:00:01.000Z',
    '2027-01-05T11:59:00.000Z',
  ]);
});

test('--year sets the year and rolls over to the next when the months go from December to January', (t) => {
  const parser = createEnvelopeParser({
    year: 2024,
    timeZone: 'UTC',
    referenceTime: Date.parse('2026-12-03T20:00:00Z'),
  });
  const times = [
    'Nov 30 10:00:00 mail postfix/smtp[1]: x',
    'Dec 31 23:59:59 mail postfix/smtp[1]: x',
    'Jan  1 00:00:01 mail postfix/smtp[1]: x',
    'Feb  1 00:00:00 mail postfix/smtp[1]: x',
    'Jan 31 23:59:59 mail postfix/smtp[1]: x',
  ].map((line) => timeOf(parser.parse(line, SOURCE)));

  t.deepEqual(times, [
    '2024-11-30T10:00:00.000Z',
    '2024-12-31T23:59:59.000Z',
    '2025-01-01T00:00:01.000Z',
    '2025-02-01T00:00:00.000Z',
    '2025-01-31T23:59:59.000Z',
  ]);
});

test('local times are read in the given time zone, daylight saving time included', (t) => {
  const reference = Date.parse('2026-12-03T20:00:00Z');
  const times = (timeZone: string, lines: readonly string[]) => {
    const parser = createEnvelopeParser({ timeZone, referenceTime: reference });
    return lines.map((line) => timeOf(parser.parse(line, SOURCE)));
  };

  t.deepEqual(times('UTC', ['Mar 11 18:22:26 mail postfix/smtp[1]: x']), [
    '2026-03-11T18:22:26.000Z',
  ]);
  t.deepEqual(
    times('Europe/Berlin', [
      'Mar 11 18:22:26 mail postfix/smtp[1]: x',
      'Mar 29 01:59:59 mail postfix/smtp[1]: x',
      'Mar 29 03:00:00 mail postfix/smtp[1]: x',
      'Jul 28 14:38:01 mail postfix/smtp[1]: x',
      'Oct 25 01:30:00 mail postfix/smtp[1]: x',
      'Oct 25 03:30:00 mail postfix/smtp[1]: x',
      '2026-07-28 14:38:01 1tAbCd-0001Xy-Qz Completed',
    ]),
    [
      '2026-03-11T17:22:26.000Z',
      '2026-03-29T00:59:59.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-07-28T12:38:01.000Z',
      '2026-10-24T23:30:00.000Z',
      '2026-10-25T02:30:00.000Z',
      '2026-07-28T12:38:01.000Z',
    ],
  );
  t.deepEqual(times('America/New_York', ['Jul 28 14:38:01 mail postfix/smtp[1]: x']), [
    '2026-07-28T18:38:01.000Z',
  ]);
});

test('without a time zone the system zone is used', (t) => {
  // In a child whose zone is not UTC: on a UTC host the test could not tell the zones apart.
  const parser = new URL('../../src/envelope/parse-envelope.js', import.meta.url).href;
  const script = [
    `import { createEnvelopeParser } from ${JSON.stringify(parser)};`,
    "const parser = createEnvelopeParser({ referenceTime: Date.parse('2026-12-03T20:00:00Z') });",
    "const line = 'Jul 28 14:38:01 mail postfix/smtp[1]: x';",
    "const envelope = parser.parse(line, { file: 'mail.log', line: 1 });",
    'process.stdout.write(new Date(envelope.time).toISOString());',
  ].join('\n');
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', script],
    { encoding: 'utf8', env: { ...process.env, TZ: 'America/New_York' } },
  );

  t.is(child.stdout, '2026-07-28T18:38:01.000Z', child.stderr);
});

test('Exim through syslog in the repeated hour keeps the pass the syslog stamps tell', (t) => {
  const parser = createEnvelopeParser({ ...UTC_DECEMBER, timeZone: 'Europe/Berlin' });
  const stamps = ['02:10', '02:50', '02:10', '02:50', '03:10'];
  const times = stamps.map((stamp, index) => {
    const line =
      `Oct 25 ${stamp}:00 mailhost exim[100]: 2026-10-25 ${stamp}:00 1xZBbw-00007K-4${index} ` +
      '== a@one.test R=dnslookup defer (-1): host lookup did not complete';
    return timeOf(parser.parse(line, SOURCE));
  });

  t.deepEqual(times, [
    '2026-10-25T00:10:00.000Z',
    '2026-10-25T00:50:00.000Z',
    '2026-10-25T01:10:00.000Z',
    '2026-10-25T01:50:00.000Z',
    '2026-10-25T02:10:00.000Z',
  ]);
});

test("Exim through syslog takes Exim's year when the syslog stamp's guessed year is wrong", (t) => {
  const parser = createEnvelopeParser({ ...UTC_DECEMBER, timeZone: 'Europe/Berlin' });
  const line =
    'Oct 25 02:10:00 mailhost exim[100]: 2024-10-27 02:10:00 1xZBbw-00007K-40 ' +
    '== a@one.test R=dnslookup defer (-1): host lookup did not complete';

  t.is(timeOf(parser.parse(line, SOURCE)), '2024-10-27T00:10:00.000Z');
});

test('an unknown time zone is a usage error', (t) => {
  const error = t.throws(() => createEnvelopeParser({ timeZone: 'Mars/Olympus_Mons' }), {
    instanceOf: MxtriageError,
  });

  t.is(error?.code, 'USAGE');
  t.is(
    error?.message,
    'Unknown time zone: Mars/Olympus_Mons (use an IANA name such as Europe/Berlin or UTC)',
  );
});

test('Exim records split by syslog are joined, pieces ended at a newline with a literal \\n', (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);
  const lines = [
    'May  1 10:00:07 mx exim[4243]: [1\\3] 2024-05-01 10:00:07 1tAbCk-0001Y3-Ij ** hal@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.25]: SMTP error from remote mail server after RCPT TO:<hal@example.org>: 550-5.1.1 first line',
    'May  1 10:00:07 mx exim[4244]: [1/2] 2024-05-01 10:00:07 1tAbCl-0001Y4-Kl == ivy@example.net R=dnslookup defer (-1): host look',
    'May  1 10:00:07 mx exim[4243]: [2\\3] 550-5.1.1 second line',
    'May  1 10:00:07 mx exim[4244]: [2/2] up did not complete',
    'May  1 10:00:07 mx exim[4243]: [3/3] 550 5.1.1 last line',
  ];
  const results = lines.map((line, index) =>
    parser.parse(line, { file: 'mail.log', line: index + 1 }),
  );

  t.deepEqual(results.slice(0, 3), ['pending', 'pending', 'pending']);
  t.deepEqual(results[3], {
    time: Date.parse('2024-05-01T10:00:07Z'),
    host: 'mx',
    program: 'exim',
    pid: 4244,
    message:
      '1tAbCl-0001Y4-Kl == ivy@example.net R=dnslookup defer (-1): host lookup did not complete',
    source: { file: 'mail.log', line: 2 },
  });
  t.deepEqual(results[4], {
    time: Date.parse('2024-05-01T10:00:07Z'),
    host: 'mx',
    program: 'exim',
    pid: 4243,
    message:
      '1tAbCk-0001Y3-Ij ** hal@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.25]: SMTP error from remote mail server after RCPT TO:<hal@example.org>: 550-5.1.1 first line\\n550-5.1.1 second line\\n550 5.1.1 last line',
    source: { file: 'mail.log', line: 1 },
  });
  t.deepEqual(parser.flush(), []);
});

test('an unfinished split record is given out at the end of the input', (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);
  parser.parse(
    'May  1 10:00:07 mx exim[9]: [1/2] 2024-05-01 10:00:07 1tAbCl-0001Y4-Kl == ivy@example.net R=dnslookup',
    SOURCE,
  );

  t.deepEqual(parser.flush(), [
    {
      time: Date.parse('2024-05-01T10:00:07Z'),
      host: 'mx',
      program: 'exim',
      pid: 9,
      message: '1tAbCl-0001Y4-Kl == ivy@example.net R=dnslookup',
      source: SOURCE,
    },
  ]);
  t.deepEqual(parser.flush(), []);
});

const CRI_SMTP =
  'Dec  3 18:32:53 mailhost postfix/smtp[446]: 5C3A5186065: to=<accounts@contoso.test>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=contoso.test type=MX: Host not found, try again)';

test('partial CRI lines are joined with the full line of their stream, wherever they were cut', (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);
  const lines = [
    `2026-12-03T18:32:53.100Z stdout P ${CRI_SMTP.slice(0, 11)}`,
    '2026-12-03T18:32:53.150Z stderr F Dec  3 18:32:53 mailhost postfix/qmgr[416]: 5C3A5186065: removed',
    `2026-12-03T18:32:53.200Z stdout P ${CRI_SMTP.slice(11, 120)}`,
    `2026-12-03T18:32:53.300Z stdout F ${CRI_SMTP.slice(120)}`,
    '2026-12-03T18:32:54.000Z stdout F Dec  3 18:32:54 mailhost postfix/pickup[415]: 08B0F18606B: uid=0 from=<labuser@sender.test>',
  ];
  const results = lines.map((line, index) =>
    parser.parse(line, { file: 'mail.log', line: index + 1 }),
  );

  t.is(results[0], 'pending');
  t.is(typeof results[1] === 'object' && results[1].program, 'postfix/qmgr');
  t.is(results[2], 'pending');
  t.deepEqual(results[3], {
    time: Date.parse('2026-12-03T18:32:53.100Z'),
    host: 'mailhost',
    program: 'postfix/smtp',
    pid: 446,
    message: CRI_SMTP.slice(CRI_SMTP.indexOf('5C3A')),
    source: { file: 'mail.log', line: 1 },
  });
  t.is(
    typeof results[4] === 'object' && results[4].message,
    '08B0F18606B: uid=0 from=<labuser@sender.test>',
  );
  t.deepEqual(parser.flush(), []);
});

test('a partial CRI line whose full piece never came is given out at the end of the input, or counted when it has no envelope', (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);

  t.is(parser.parse(`2026-12-03T18:32:53.1Z stderr P ${CRI_SMTP.slice(0, 90)}`, SOURCE), 'pending');
  t.is(parser.parse('2026-12-03T18:32:53.2Z stdout P no log line', SOURCE), 'pending');
  const unparsed: string[] = [];
  t.deepEqual(
    parser.flush((text) => unparsed.push(text)),
    [
      {
        time: Date.parse('2026-12-03T18:32:53.100Z'),
        host: 'mailhost',
        program: 'postfix/smtp',
        pid: 446,
        message: CRI_SMTP.slice(CRI_SMTP.indexOf('5C3A'), 90),
        source: SOURCE,
      },
    ],
  );
  t.deepEqual(unparsed, ['no log line']);
  t.deepEqual(parser.flush(), []);
});

test('a partial CRI line is given out at 64 KiB, and its rest up to its full piece dropped', (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);
  const piece = `2026-12-03T18:32:53.1Z stdout P ${'x'.repeat(16 * 1024)}`;
  const results = [
    parser.parse(`2026-12-03T18:32:53.1Z stdout P ${CRI_SMTP}`, SOURCE),
    ...Array.from({ length: 5 }, () => parser.parse(piece, SOURCE)),
    parser.parse(`2026-12-03T18:32:53.1Z stdout F ${CRI_SMTP}`, SOURCE),
    parser.parse(`2026-12-03T18:32:53.1Z stdout F ${CRI_SMTP}`, SOURCE),
  ];
  const joined = results[4];

  t.deepEqual(results.slice(0, 4), ['pending', 'pending', 'pending', 'pending']);
  t.is(typeof joined === 'object' && joined.message.length, 64 * 1024 - CRI_SMTP.indexOf('5C3A'));
  // Text at a split point after the cut, and the full piece that ends the line, are its rest.
  t.deepEqual(results.slice(5, 7), ['pending', 'pending']);
  t.like(results[7], { program: 'postfix/smtp' });
});

function timeOf(
  envelope: ReturnType<ReturnType<typeof createEnvelopeParser>['parse']>,
): string | undefined {
  return typeof envelope === 'object' ? new Date(envelope.time).toISOString() : undefined;
}

test("Exim's mainlog written to a container's stdout is read as the mainlog, at the runtime's time", (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);
  const line =
    '2026-12-03 18:32:58 1tQ4Ud-0000Bz-2V == ops@margie.test R=dnslookup T=remote_smtp defer (111): Connection refused';

  for (const prefix of ['2026-12-03T18:32:58.5Z stdout F ', '2026-12-03T18:32:58.500000000Z ']) {
    t.like(parser.parse(`${prefix}${line}`, SOURCE), {
      time: Date.parse('2026-12-03T18:32:58.500Z'),
      program: 'exim',
      message: line.slice(20),
    });
  }
});

// Envelopes of real systems beyond the common ones (a review against public logs, 2026-12).
const DEFERRAL =
  '4F2A31C0D9E: to=<ann@example.com>, relay=none, delay=0.11, delays=0.1/0/0/0, dsn=4.4.3, ' +
  'status=deferred (Host or domain name not found. Name service error for name=example.com ' +
  'type=MX: Host not found, try again)';

test(
  "Solaris syslog's message id",
  parses,
  'Aug  3 03:19:02 sarcnode sendmail[12325]: [ID 801593 mail.info] r72DY20O010335: to=root, delay=03:45:00, xdelay=00:00:00, mailer=relay, pri=1381565, relay=[127.0.0.1] [127.0.0.1], dsn=4.0.0, stat=Deferred: Connection refused by [127.0.0.1]',
  {
    time: '2026-08-03T03:19:02Z',
    host: 'sarcnode',
    program: 'sendmail',
    pid: 12325,
    message:
      'r72DY20O010335: to=root, delay=03:45:00, xdelay=00:00:00, mailer=relay, pri=1381565, relay=[127.0.0.1] [127.0.0.1], dsn=4.0.0, stat=Deferred: Connection refused by [127.0.0.1]',
  },
);
test(
  "busybox syslogd's facility and level before the tag",
  parses,
  `Mar 22 07:45:01 backup mail.info postfix/smtp[1085]: ${DEFERRAL}`,
  {
    time: '2026-03-22T07:45:01Z',
    host: 'backup',
    program: 'postfix/smtp',
    pid: 1085,
    message: DEFERRAL,
  },
);
test(
  'a host that looks like a priority name is still the host',
  parses,
  `Mar 22 07:45:01 mail.info postfix/smtp[1085]: ${DEFERRAL}`,
  {
    time: '2026-03-22T07:45:01Z',
    host: 'mail.info',
    program: 'postfix/smtp',
    pid: 1085,
    message: DEFERRAL,
  },
);
test(
  "rsyslog's empty host",
  parses,
  'Mar  2 12:24:48  sshd[13985]: last message repeated 2 times',
  {
    time: '2026-03-02T12:24:48Z',
    host: '',
    program: 'sshd',
    pid: 13985,
    message: 'last message repeated 2 times',
  },
);
test("syslogd's mark", parses, 'Sep 20 12:38:36 helena -- MARK --', {
  time: '2026-09-20T12:38:36Z',
  host: 'helena',
  program: 'syslogd',
  message: '-- MARK --',
});
test(
  "syslogd's note of repeats left out",
  parses,
  'Mar 13 12:04:10 mail last message repeated 3 times',
  {
    time: '2026-03-13T12:04:10Z',
    host: 'mail',
    program: 'syslogd',
    message: 'last message repeated 3 times',
  },
);
test(
  "rsyslog's RFC 5424 template, which keeps the space after the tag",
  parses,
  `<22>1 2024-03-13T12:04:09.755361+01:00 mail postfix 4242 - -  ${DEFERRAL}`,
  {
    time: '2024-03-13T11:04:09.755Z',
    host: 'mail',
    program: 'postfix',
    pid: 4242,
    message: DEFERRAL,
  },
);
test(
  "sysklogd 2's local RFC 5424 format, without PRI and version",
  parses,
  `2024-03-13T12:04:09.755361+01:00 mail postfix/smtp 4242 - - ${DEFERRAL}`,
  {
    time: '2024-03-13T11:04:09.755Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 4242,
    message: DEFERRAL,
  },
);
test(
  "Docker's json-file log on disk, at the runtime's time",
  parses,
  `{"log":"Sep 14 04:01:37 mail postfix/smtp[123]: ${DEFERRAL.replace(/</g, '\\u003c').replace(/>/g, '\\u003e')}\\n","stream":"stdout","time":"2024-09-13T20:01:37.510512345Z"}`,
  {
    time: '2024-09-13T20:01:37.510Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 123,
    message: DEFERRAL,
  },
);
test(
  'a docker compose logs prefix',
  parses,
  `postfix-mailcow_1    | Mar 11 14:26:24 mail postfix/smtp[150]: ${DEFERRAL}`,
  {
    time: '2026-03-11T14:26:24Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 150,
    message: DEFERRAL,
  },
);
test(
  "a container's syslog line sent on by Docker's syslog driver, at the outer time",
  parses,
  `Jul 21 21:50:34 myserver 0123456789ab[668]: Jul 21 21:50:33 mail postfix/smtp[4242]: ${DEFERRAL}`,
  {
    time: '2026-07-21T21:50:34Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 4242,
    message: DEFERRAL,
  },
);
test(
  "a container's syslog line in the journal, from Docker's journald driver",
  parses,
  JSON.stringify({
    __REALTIME_TIMESTAMP: '1710327849755361',
    _HOSTNAME: 'dockerhost',
    SYSLOG_IDENTIFIER: 'a1b2c3d4e5f6',
    CONTAINER_ID: 'a1b2c3d4e5f6',
    MESSAGE: `Mar 13 11:04:09 mail postfix/smtp[4242]: ${DEFERRAL}`,
  }),
  {
    time: '2024-03-13T11:04:09.755Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 4242,
    message: DEFERRAL,
  },
);
test(
  "journalctl -o json-seq's record separator",
  parses,
  `\x1e${JSON.stringify({
    __REALTIME_TIMESTAMP: '1710327849755361',
    _HOSTNAME: 'mail',
    SYSLOG_IDENTIFIER: 'postfix/smtp',
    SYSLOG_PID: '4242',
    MESSAGE: DEFERRAL,
  })}`,
  {
    time: '2024-03-13T11:04:09.755Z',
    host: 'mail',
    program: 'postfix/smtp',
    pid: 4242,
    message: DEFERRAL,
  },
);
test(
  "Exim's own stamp after the syslog envelope stays Exim's",
  parses,
  'Mar 13 12:04:09 mx exim[4242]: 2026-03-13 12:04:09 1tAbCd-0001Xy-Qz == a@example.com R=dnslookup defer (-1): host lookup did not complete',
  {
    time: '2026-03-13T12:04:09Z',
    host: 'mx',
    program: 'exim',
    pid: 4242,
    message:
      '1tAbCd-0001Xy-Qz == a@example.com R=dnslookup defer (-1): host lookup did not complete',
  },
);
test(
  "an empty line in Docker's json-file log",
  parses,
  '{"log":"\\n","stream":"stdout","time":"2024-09-13T20:01:37.5Z"}',
  {
    time: '2024-09-13T20:01:37.500Z',
    host: '',
    program: 'docker',
    message: '',
  },
);

test(
  "another program's message that looks like a mail server's line stays that program's",
  parses,
  `Dec  3 18:40:56 mailhost webapp[78]: Dec  3 18:32:54 mailhost postfix/qmgr[1]: 4ABCDEF124: removed`,
  {
    time: '2026-12-03T18:40:56Z',
    host: 'mailhost',
    program: 'webapp',
    pid: 78,
    message: 'Dec  3 18:32:54 mailhost postfix/qmgr[1]: 4ABCDEF124: removed',
  },
);
test(
  'a journal record of another program that looks like a mail server line stays its own',
  parses,
  JSON.stringify({
    __REALTIME_TIMESTAMP: '1710327849755361',
    _HOSTNAME: 'mail',
    SYSLOG_IDENTIFIER: 'sshd',
    MESSAGE: `Mar 13 11:04:09 forged postfix/smtp[1]: ${DEFERRAL}`,
  }),
  {
    time: '2024-03-13T11:04:09.755Z',
    host: 'mail',
    program: 'sshd',
    message: `Mar 13 11:04:09 forged postfix/smtp[1]: ${DEFERRAL}`,
  },
);

test("Docker's json-file pieces of a long line are joined, and a piece is never a line", (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);
  const time = '2024-12-03T18:32:55Z';
  const first = `Dec  3 18:32:55 mail someapp[9]: GET /${'A'.repeat(16344)}`;
  const forged = `Dec  3 18:32:55 mail postfix/smtp[1]: ${DEFERRAL}\n`;

  const piece = parser.parse(JSON.stringify({ log: first, time }), SOURCE);
  const whole = parser.parse(JSON.stringify({ log: forged, time }), SOURCE);

  t.is(piece, 'pending');
  t.like(whole, { program: 'someapp', time: Date.parse(time) });
  t.true(
    typeof whole === 'object' &&
      whole.message.endsWith(
        'status=deferred (Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again)',
      ),
  );
});

test("Docker's json-file pieces after a line's first 64 KiB are dropped up to its last", (t) => {
  const cuts: number[] = [];
  const parser = createEnvelopeParser(UTC_DECEMBER, (source) => cuts.push(source.line));
  const time = '2024-12-03T18:32:55Z';
  const piece = (log: string) =>
    parser.parse(JSON.stringify({ log, stream: 'stdout', time }), SOURCE);
  const forged = `Dec  3 18:32:55 mail postfix/smtp[1]: ${DEFERRAL}`;

  // Docker's pieces are 16 KiB: four of them make the longest line read.
  const first = piece(`Dec  3 18:32:55 mail someapp[9]: GET /${'A'.repeat(16346)}`);
  const middle = [1, 2, 3].map(() => piece('A'.repeat(16384)));
  const rest = [piece(forged), piece(`${forged}\n`)];
  const next = piece(`${forged}\n`);

  t.is(first, 'pending');
  t.deepEqual(middle.slice(0, 2), ['pending', 'pending']);
  t.like(middle[2], { program: 'someapp' });
  t.is(typeof middle[2] === 'object' && middle[2].message.length, 64 * 1024 - 33);
  t.deepEqual(rest, ['pending', 'pending']);
  t.like(next, { program: 'postfix/smtp' });
  t.deepEqual(cuts, [SOURCE.line], 'the cut is told once, at the line it began on');
});

test("Docker's json-file pieces are joined per stream, as stdout and stderr interleave", (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);
  const time = '2024-12-03T18:32:55Z';
  const piece = (log: string, stream: string) =>
    parser.parse(JSON.stringify({ log, stream, time }), SOURCE);
  const deferral = `Dec  3 18:32:55 mail postfix/smtp[1]: ${DEFERRAL}`;

  const results = [
    piece(`Dec  3 18:32:55 mail someapp[9]: GET /${'A'.repeat(16344)}`, 'stdout'),
    piece(`${deferral}\n`, 'stderr'),
    piece(`${deferral}\n`, 'stdout'),
  ];

  t.is(results[0], 'pending');
  t.like(results[1], { program: 'postfix/smtp', message: DEFERRAL });
  t.like(results[2], { program: 'someapp' });
});

test('a json-file time that is no zoned RFC 3339 time is no envelope', (t) => {
  const parser = createEnvelopeParser(UTC_DECEMBER);
  for (const time of ['1', '2024', '2024-02-30T00:00:00Z', '12/3/2024', '2024-12-03T18:32:55']) {
    const line = JSON.stringify({
      log: `Dec  3 18:32:55 mail postfix/smtp[1]: ${DEFERRAL}\n`,
      time,
    });
    t.is(parser.parse(line, SOURCE), undefined, time);
  }
});
