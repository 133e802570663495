import test from 'ava';
import { parseNdjson, runCli } from '../helpers/cli.js';

// One message to one mailbox, written by Postfix in two spellings (a sender's client may keep
// the recipient's case; a trailing dot is the absolute form of the domain).
const LOG = [
  'Dec  3 18:32:52 mailhost postfix/qmgr[301]: 4B7A31C2F3: from=<labuser@sender.test>, size=412, nrcpt=1 (queue active)',
  'Dec  3 18:32:52 mailhost postfix/smtp[446]: 4B7A31C2F3: to=<j.smith@northwind.test>, relay=none, delay=0.1, delays=0.05/0.01/0.04/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again)',
  'Dec  3 18:42:52 mailhost postfix/smtp[447]: 4B7A31C2F3: to=<J.Smith@NorthWind.TEST.>, relay=none, delay=600, delays=600/0.01/0.04/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again)',
  'Dec  3 18:52:53 mailhost postfix/smtp[448]: 4B7A31C2F3: to=<j.smith@northwind.test>, relay=mx.northwind.test[127.236.90.9]:25, delay=1201, delays=1200/0.01/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9C1D21C2F4)',
  'Dec  3 18:52:53 mailhost postfix/qmgr[301]: 4B7A31C2F3: removed',
  '',
].join('\n');

test('one mailbox written in two cases is one recipient, delivered later', async (t) => {
  const result = await runCli(['--offline', '--year', '2026', '--format', 'ndjson', '-'], {
    stdin: LOG,
  });
  t.is(result.code, 0, result.stderr);

  const records = parseNdjson(result.stdout);
  const group = records.find((record) => record['type'] === 'group');
  const summary = records.find((record) => record['type'] === 'summary');
  t.like(group, { domain: 'northwind.test', cause: 'dns-tempfail', recipients: 1, messages: 1 });
  t.deepEqual(summary?.['outcomes'], {
    'delivered-later': 1,
    bounced: 0,
    expired: 0,
    removed: 0,
    'still-queued': 0,
  });
});
