import test from 'ava';

import { parseJournalLine } from '../../src/envelope/journald.js';

const SOURCE = { file: 'journal.json', line: 3 };
const TIME = '"__REALTIME_TIMESTAMP":"1710327849755361"';

test('a journal entry gives time, host, identifier, pid and message', (t) => {
  const line = `{${TIME},"_HOSTNAME":"mail","SYSLOG_IDENTIFIER":"sm-mta","SYSLOG_PID":"3925","_PID":"1","MESSAGE":"p8UJto7v003923: to=<bob@nx.example.net>, stat=Host unknown (Name server: nx.example.net: host not found)","_SYSTEMD_UNIT":"sendmail.service"}`;

  t.deepEqual(parseJournalLine(line, SOURCE), {
    time: Date.parse('2024-03-13T11:04:09.755Z'),
    host: 'mail',
    program: 'sm-mta',
    pid: 3925,
    message:
      'p8UJto7v003923: to=<bob@nx.example.net>, stat=Host unknown (Name server: nx.example.net: host not found)',
    source: SOURCE,
  });
});

test('a MESSAGE given as bytes is decoded as UTF-8 and loses its trailing CR', (t) => {
  const bytes = [...Buffer.from('4F2A31C0D9E: to=<jörg@bücher.example>, status=sent\r')];
  const line = `{${TIME},"_HOSTNAME":"mail","SYSLOG_IDENTIFIER":"postfix/smtp","MESSAGE":${JSON.stringify(bytes)}}`;

  t.is(
    parseJournalLine(line, SOURCE)?.message,
    '4F2A31C0D9E: to=<jörg@bücher.example>, status=sent',
  );
});

test('invalid UTF-8 bytes in MESSAGE become U+FFFD', (t) => {
  const line = `{${TIME},"SYSLOG_IDENTIFIER":"postfix/smtp","MESSAGE":[106,246,114,103]}`;

  t.is(parseJournalLine(line, SOURCE)?.message, 'j\uFFFDrg');
});

test('the process id falls back to _PID and the identifier to _COMM', (t) => {
  const line = `{${TIME},"_HOSTNAME":"mx","_COMM":"exim4","_PID":"4243","MESSAGE":"Start queue run: pid=427"}`;

  t.deepEqual(parseJournalLine(line, SOURCE), {
    time: Date.parse('2024-03-13T11:04:09.755Z'),
    host: 'mx',
    program: 'exim4',
    pid: 4243,
    message: 'Start queue run: pid=427',
    source: SOURCE,
  });
});

const refuses = test.macro({
  exec(t, line: string) {
    t.is(parseJournalLine(line, SOURCE), undefined);
  },
  title: (given = '') => `a journal line ${given} gives no envelope`,
});

test('a journal line whose MESSAGE was left out still names its program', (t) => {
  const line = `{${TIME},"_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"kernel","MESSAGE":null}`;

  t.like(parseJournalLine(line, SOURCE), {
    host: 'mx',
    program: 'kernel',
    message: '',
    isMessageLeftOut: true,
  });
});
test('without MESSAGE', refuses, `{${TIME}}`);
test('with a MESSAGE array of non-bytes', refuses, `{${TIME},"MESSAGE":[300]}`);
test('without a realtime timestamp', refuses, '{"MESSAGE":"x"}');
test(
  'with a timestamp that is not a number',
  refuses,
  '{"__REALTIME_TIMESTAMP":"soon","MESSAGE":"x"}',
);
test('that is a JSON array', refuses, '[1,2]');
test('that is not JSON', refuses, '{"MESSAGE":');
