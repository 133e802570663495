import { readFileSync } from 'node:fs';

import test from 'ava';

import { collectLog } from './collect.js';

/** The classic syslog envelope (RFC 3164) with a Postfix program tag. */
const ENVELOPE = /^[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d \S+ postfix(?:\/[a-z]+)+\[\d+\]: /;

/** A delivery record in log_adhoc.c's field order, nested parentheses allowed in the text. */
const RECORD = new RegExp(
  '^[0-9A-F]{10,11}: to=<[^>]+>, (?:orig_to=<[^>]+>, )?relay=(?:none|\\S+\\[[^\\]]+\\](?::25)?), ' +
    '(?:conn_use=\\d+, )?delay=\\d+(?:\\.\\d+)?, delays=(?:\\d+(?:\\.\\d+)?/){3}\\d+(?:\\.\\d+)?, ' +
    'dsn=[245]\\.\\d\\.\\d+, status=(?:sent|deferred|bounced) \\(.+\\)$',
);

/** Every other line the generator writes, each a shape Postfix writes (see samples/). */
const OTHER_LINES: readonly RegExp[] = [
  /^[0-9A-F]{10,11}: client=\S+\[[^\]]+\](?:, sasl_method=PLAIN, sasl_username=\S+)?$/,
  /^[0-9A-F]{10,11}: message-id=<[^>]+>$/,
  /^[0-9A-F]{10,11}: uid=\d+ from=<[^>]+>$/,
  /^[0-9A-F]{10,11}: from=<[^>]*>, size=\d+, nrcpt=\d+ \(queue active\)$/,
  /^[0-9A-F]{10,11}: from=<[^>]*>, status=expired, returned to sender$/,
  /^[0-9A-F]{10,11}: removed$/,
  /^[0-9A-F]{10,11}: sender non-delivery notification: [0-9A-F]{10,11}$/,
  /^[0-9A-F]{10,11}: host \S+\[[^\]]+\] said: .+ \(in reply to end of DATA command\)$/,
  /^connect from \S+\[[^\]]+\]$/,
  /^disconnect from \S+\[[^\]]+\]( \w+=\d+(\/\d+)?)+$/,
  /^lost connection after \w+ from \S+\[[^\]]+\]$/,
  /^connect to \S+\[[^\]]+\]:25: Connection (?:refused|timed out)$/,
  /^NOQUEUE: reject: RCPT from \S+\[[^\]]+\]: [45]\d\d [45]\.\d\.\d+ .+; from=<[^>]*> to=<[^>]+> proto=ESMTP /,
  /^warning: \S+\[[^\]]+\]: SASL LOGIN authentication failed: authentication failure$/,
  /^warning: no MX host for \S+ has a valid address record$/,
  /^warning: hostname \S+ does not resolve to address \S+: Temporary failure in name resolution$/,
  /^statistics: max (?:connection (?:rate \d+\/60s|count \d+) for \(smtp:\S+\)|cache size \d+) at /,
];

const log = collectLog({ mta: 'postfix', lines: 100_000 });

test('every generated Postfix line has the syslog envelope and a shape Postfix writes', async (t) => {
  const strays = (await log).lines.filter((line) => !isKnownLine(line)).slice(0, 5);

  t.deepEqual(strays, []);
});

test('the record pattern of this test accepts the real sample delivery records', (t) => {
  const sample = readFileSync('samples/postfix-mail.log', 'utf8').split('\n');
  const records = sample.filter((line) => / status=(?:sent|deferred|bounced) \(/.test(line));

  t.true(records.length > 50);
  t.deepEqual(
    records.filter((line) => !isKnownLine(line)),
    [],
  );
});

test('DNS failures are worded as in the real sample, with relay=none and the DSN of the outcome', async (t) => {
  const lines = (await log).lines;
  const tempfail = lines.find((line) => line.includes('type=MX: Host not found, try again)'));
  const nxdomain = lines.find((line) => /type=A{1,4}: Host not found\)$/.test(line));

  t.regex(
    tempfail ?? '',
    /relay=none, .*dsn=4\.4\.3, status=deferred \(Host or domain name not found\. /,
  );
  t.regex(tempfail ?? '', /Name service error for name=\S+ type=MX: Host not found, try again\)$/);
  t.regex(
    nxdomain ?? '',
    /relay=none, .*dsn=5\.4\.4, status=bounced \(Host or domain name not found\. /,
  );
});

test('follow-on deferrals come from postfix/error and repeat an earlier failure text', async (t) => {
  const lines = (await log).lines;
  const suspended = lines.filter((line) => line.includes('(delivery temporarily suspended: '));
  const texts = new Set(lines.map((line) => / status=deferred \((.+)\)$/.exec(line)?.[1]));

  t.true(suspended.length > 50);
  t.true(suspended.every((line) => / postfix\/error\[\d+\]: .* relay=none, /.test(line)));
  t.true(suspended.every((line) => texts.has(/suspended: (.+)\)$/.exec(line)?.[1])));
});

test('IDN recipients keep Unicode in the address and the A-label in DNS texts', async (t) => {
  const lines = (await log).lines;

  t.true(lines.some((line) => /to=<[^>]+@bücher\.test>/.test(line)));
  t.false(lines.some((line) => /name=[^ ]*ü/.test(line)));
});

function isKnownLine(line: string): boolean {
  const envelope = ENVELOPE.exec(line);

  if (envelope === null) {
    return false;
  }

  const payload = line.slice(envelope[0].length);

  return RECORD.test(payload) || OTHER_LINES.some((pattern) => pattern.test(payload));
}
