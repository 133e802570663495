// Test-only stand-in for the envelope layer: splits the real line shapes the parser tests use
// into Envelopes. The real envelope parser lives in src/envelope/ and has its own tests.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Envelope, MtaParser, MtaRecord } from '../../src/model.js';
import { createParsers, parserFor } from '../../src/mta/index.js';

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const SYSLOG = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\S+) ([^\s[:]+)(?:\[(\d+)\])?: /;
const RFC3339 = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)) (\S+) ([^\s[:]+)(?:\[(\d+)\])?: /;
const EXIM_TIME = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.\d{3})?(?: [+-]\d{4})?(?: \[(\d+)\])? /;

/** The year the lab samples were written in; year-less lines are read in it. */
export const SAMPLE_YEAR = 2026;

/** Splits one raw line (syslog, RFC 3339 or Exim's own mainlog) into an Envelope. */
export function envelopeOf(line: string, source = { file: 'test', line: 1 }): Envelope {
  const syslog = SYSLOG.exec(line);
  if (syslog !== null) {
    const [prefix, month, day, hour, minute, second, host, program, pid] = syslog;
    const time = Date.UTC(
      SAMPLE_YEAR,
      MONTHS.indexOf(month as string) / 3,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second),
    );
    return build(line.slice(prefix.length), { time, host, program, pid, source });
  }

  const rfc3339 = RFC3339.exec(line);
  if (rfc3339 !== null) {
    const [prefix, stamp, host, program, pid] = rfc3339;
    const time = Date.parse((stamp as string).replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
    return build(line.slice(prefix.length), { time, host, program, pid, source });
  }

  const exim = EXIM_TIME.exec(line);
  if (exim === null) throw new Error(`Not a line shape the test helper knows: ${line}`);

  const time = Date.parse(`${exim[1]}T${exim[2]}Z`);
  return build(line.slice(exim[0].length), {
    time,
    host: '',
    program: 'exim',
    pid: exim[3],
    source,
  });
}

interface Parts {
  readonly time: number;
  readonly host: string | undefined;
  readonly program: string | undefined;
  readonly pid: string | undefined;
  readonly source: { file: string; line: number };
}

function build(message: string, parts: Parts): Envelope {
  const program = parts.program ?? '';
  const inner = program.startsWith('exim') ? EXIM_TIME.exec(message) : null;
  return {
    time: parts.time,
    host: parts.host ?? '',
    program,
    ...(parts.pid === undefined ? {} : { pid: Number(parts.pid) }),
    message: inner === null ? message : message.slice(inner[0].length),
    source: parts.source,
  };
}

/** The lines of a bundled sample in samples/. */
export function sampleLines(name: string): string[] {
  const path = fileURLToPath(new URL(`../../samples/${name}`, import.meta.url));
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** Every envelope of a bundled sample, with its 1-based line number. */
export function sampleEnvelopes(name: string): Envelope[] {
  return sampleLines(name).map((line, index) => envelopeOf(line, { file: name, line: index + 1 }));
}

export interface ParsedLine {
  readonly envelope: Envelope;
  readonly records: readonly MtaRecord[] | undefined;
}

/** Runs fresh parsers over a bundled sample, line by line, as the pipeline does. */
export function parseSample(
  name: string,
  parsers: readonly MtaParser[] = createParsers(),
): ParsedLine[] {
  return sampleEnvelopes(name).map((envelope) => ({
    envelope,
    records: parserFor(parsers, envelope.program)?.parse(envelope),
  }));
}

/** Parses raw lines with one parser, in order, and returns every record. */
export function parseLines(parser: MtaParser, lines: readonly string[]): MtaRecord[] {
  const records: MtaRecord[] = [];
  lines.forEach((line, index) => {
    const result = parser.parse(envelopeOf(line, { file: 'test', line: index + 1 }));
    if (result === undefined) throw new Error(`Not understood: ${line}`);
    records.push(...result);
  });
  return records;
}
