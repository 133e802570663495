import { readFileSync } from 'node:fs';

import test from 'ava';

import { collectLog } from './collect.js';

const STAMP = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ';
const ID = '[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}';
const HOST = 'H=\\S+ \\[[^\\]]+\\]';
const ROUTE = 'R=\\w+ T=\\w+';

/** Exim mainlog shapes (the Exim specification, "Log files"), one pattern per kind of line. */
const SHAPES: readonly RegExp[] = [
  `${ID} <= \\S+ (?:R=${ID} )?(?:H=\\S+ (?:\\(\\S+\\) )?\\[[^\\]]+\\]|U=\\S+) P=\\w+ .*S=\\d+(?: id=\\S+)?`,
  `${ID} [=-]> \\S+ (?:<\\S+> )?${ROUTE}(?: ${HOST}(?: X=\\S+ CV=yes)? C="250 [^"]+")?`,
  `${ID} == \\S+ R=dnslookup defer \\(-1\\): host lookup did not complete`,
  `${ID} == \\S+ routing defer \\(-52\\): retry time not reached`,
  `${ID} == \\S+ ${ROUTE} defer \\(-54\\): retry time not reached for any host for '\\S+'`,
  `${ID} == \\S+ ${ROUTE} defer \\(\\d+\\): Connection (?:refused|timed out)`,
  `${ID} == \\S+ ${ROUTE} defer \\(-\\d+\\)(?: ${HOST})?: .+`,
  `${ID} \\*\\* \\S+: (?:Unrouteable address|an MX or SRV record indicated no SMTP service|all relevant MX records point to non-existent hosts|retry timeout exceeded)`,
  `${ID} \\*\\* \\S+ ${ROUTE}(?: ${HOST})?: .+`,
  `${ID} ${HOST} Connection (?:refused|timed out)`,
  `${ID} Completed`,
  '(?:Start|End) queue run: pid=\\d+(?: -qff)?',
  `H=\\(\\S+\\) \\[[^\\]]+\\] F=<\\S+> (?:temporarily )?rejected RCPT <\\S+>: .+`,
  '\\w+ authenticator failed for \\(\\S+\\) \\[[^\\]]+\\]: 535 Incorrect authentication data \\(set_id=\\S+\\)',
  'SMTP connection from \\(\\S+\\) \\[[^\\]]+\\] lost',
  'no host name found for IP address \\S+',
].map((shape) => new RegExp(`^${STAMP}${shape}$`));

const log = collectLog({ mta: 'exim', lines: 100_000 });

test('every generated Exim line has the mainlog stamp and a shape Exim writes', async (t) => {
  const strays = (await log).lines.filter((line) => !isKnownLine(line)).slice(0, 5);

  t.deepEqual(strays, []);
});

test('the shapes of this test accept the real sample delivery lines', (t) => {
  const sample = readFileSync('samples/exim-mainlog', 'utf8').split('\n');
  const deliveries = sample.filter((line) => / (?:=>|->|==|\*\*) /.test(line));

  t.true(deliveries.length > 50);
  t.deepEqual(
    deliveries.filter((line) => !isKnownLine(line)),
    [],
  );
});

test('multi-line remote replies keep a literal backslash-n between their lines', async (t) => {
  const rateLimited = (await log).lines.find((line) => line.includes('unusual rate of'));

  t.regex(
    rateLimited ?? '',
    /defer \(-46\) H=.*: SMTP error from remote mail server after end of data: 421-4\.7\.0 .*of\\n421-4\.7\.0 /,
  );
});

test('every message that arrives ends with one Completed line', async (t) => {
  const lines = (await log).lines;
  const completed = new Map<string, number>();

  for (const line of lines) {
    const match = new RegExp(`^${STAMP}(${ID}) Completed$`).exec(line);

    if (match?.[1] !== undefined) {
      completed.set(match[1], (completed.get(match[1]) ?? 0) + 1);
    }
  }

  t.true(completed.size > 10_000);
  t.deepEqual(
    [...completed.values()].filter((count) => count !== 1),
    [],
  );
});

function isKnownLine(line: string): boolean {
  return SHAPES.some((shape) => shape.test(line));
}
