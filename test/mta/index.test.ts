import test from 'ava';
import fc from 'fast-check';
import type { Envelope, Mta, MtaParser } from '../../src/model.js';
import { createParsers, parserFor } from '../../src/mta/index.js';
import { envelopeOf } from './helpers.js';

/** Pieces of real lines, so random messages reach the parsers' deeper paths. */
const FRAGMENTS = [
  '4F2A31C0D9E: ',
  '4ZxKp13Wqbz1Ty7: ',
  '1xZBbw-00007K-30 ',
  '1tAbCd-00000000AbC-0Xyz ',
  '6B3IWrgG000463: ',
  '6B3IZZ2H001607: ',
  'to=<',
  'to=',
  'from=<',
  'orig_to=<',
  '>',
  '<',
  ', ',
  ',',
  'relay=',
  'none',
  'mx.example.com[192.0.2.25]:25',
  'status=',
  'deferred',
  'SOFTBOUNCE',
  'expired',
  ' (',
  ')',
  '(',
  'dsn=',
  'reply=',
  'stat=',
  'Deferred: ',
  'queued',
  'Sent (',
  '[more]',
  '== ',
  '** ',
  '=> ',
  '<= ',
  'R=dnslookup ',
  'T=remote_smtp ',
  'H=',
  'H=mx [',
  '[',
  ']',
  ':25',
  ':',
  ': ',
  ' : ',
  'defer (',
  'routing defer (',
  '-52',
  '111',
  'C="',
  '"',
  '\\',
  'F=<',
  'DSN: ',
  'sender notify: ',
  'Cannot send message for ',
  'removed',
  'Completed',
  'a@example.com',
  'x',
  ' ',
  '',
];

const PROGRAMS = [
  'postfix/smtp',
  'postfix/qmgr',
  'postfix',
  'exim',
  'exim4',
  'sm-mta',
  'sendmail',
  'sm-msp-queue',
];

function envelope(program: string, message: string): Envelope {
  return { time: 0, host: 'mail', program, message, source: { file: 'fuzz', line: 1 } };
}

test('createParsers gives one Postfix, one Exim and one Sendmail parser', (t) => {
  t.deepEqual(
    createParsers().map((parser) => parser.mta),
    ['postfix', 'exim', 'sendmail'],
  );
});

test('createParsers gives fresh parsers that do not share what they remember', (t) => {
  const first = createParsers();
  const second = createParsers();
  const qmgr = envelopeOf(
    'Dec  3 18:32:52 mailhost postfix/qmgr[416]: AFF09186110: from=<labuser@sender.test>, size=346, nrcpt=1 (queue active)',
  );
  const smtp = envelopeOf(
    'Dec  3 18:32:52 mailhost postfix/smtp[446]: AFF09186110: to=<j.smith@northwind.test>, relay=none, delay=0.03, delays=0.01/0.01/0/0, dsn=4.4.3, status=deferred (x)',
  );
  first[0]?.parse(qmgr);

  t.like(first[0]?.parse(smtp)?.[0], { sender: 'labuser@sender.test' });
  t.like(second[0]?.parse(smtp)?.[0], { sender: undefined });
});

const choosesParser = test.macro({
  exec(t, program: string, mta: Mta | undefined) {
    const parsers = createParsers();
    t.is(parserFor(parsers, program)?.mta, mta);
    t.is(parserFor(parsers, program)?.mta, mta, 'the cached choice is the same');
  },
  title: (_provided, program: string, mta: Mta | undefined) =>
    `parserFor gives ${program} to ${mta ?? 'no parser'}`,
});

for (const [program, mta] of [
  ['postfix/smtp', 'postfix'],
  ['postfix-out/smtp', 'postfix'],
  ['postfix/submission/smtpd', 'postfix'],
  ['postfix', 'postfix'],
  ['exim', 'exim'],
  ['exim4', 'exim'],
  ['sm-mta', 'sendmail'],
  ['sendmail', 'sendmail'],
  ['sm-msp-queue', 'sendmail'],
  ['dovecot', undefined],
  ['opendkim', undefined],
  ['CRON', undefined],
] as const) {
  test(choosesParser, program, mta);
}

test('every parser survives arbitrary strings as program and message', (t) => {
  const parsers = createParsers();
  t.notThrows(() => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        (program, message) => {
          for (const parser of parsers) parser.parse(envelope(program, message));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

test('every parser survives messages made of pieces of real lines', (t) => {
  const parsers: readonly MtaParser[] = createParsers();
  const message = fc
    .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 3 })), { maxLength: 30 })
    .map((pieces) => pieces.join(''));
  t.notThrows(() => {
    fc.assert(
      fc.property(fc.constantFrom(...PROGRAMS), message, (program, text) => {
        for (const parser of parsers) {
          const records = parser.parse(envelope(program, text));
          if (records !== undefined && !Array.isArray(records)) throw new Error('Not an array');
        }
      }),
      { numRuns: 5000 },
    );
  });
});
