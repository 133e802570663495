// Real log lines split into envelopes by the real envelope parser (src/envelope/), read as
// the lab wrote them: year 2026 for year-less stamps, local time UTC.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEnvelopeParser, type EnvelopeParser } from '../../src/envelope/parse-envelope.js';
import type { Envelope, MtaParser, MtaRecord } from '../../src/model.js';
import { createParsers, parserFor } from '../../src/mta/index.js';

/** How the lab samples were written: in 2026, on a machine whose local time is UTC. */
const SAMPLE_ENVELOPES = { year: 2026, timeZone: 'UTC' } as const;

/** Splits one raw line (syslog, RFC 3339 or Exim's own mainlog) into an Envelope; lines of one
 *  input share a parser, as the pipeline's do. */
export function envelopeOf(
  line: string,
  source = { file: 'test', line: 1 },
  parser: EnvelopeParser = createEnvelopeParser(SAMPLE_ENVELOPES),
): Envelope {
  const envelope = parser.parse(line, source);
  if (envelope === undefined || envelope === 'pending') {
    throw new Error(`Not a whole log line: ${line}`);
  }

  return envelope;
}

/** The lines of a bundled sample in samples/. */
export function sampleLines(name: string): string[] {
  const path = fileURLToPath(new URL(`../../samples/${name}`, import.meta.url));
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** Every envelope of a bundled sample, with its 1-based line number. */
function sampleEnvelopes(name: string): Envelope[] {
  const parser = createEnvelopeParser(SAMPLE_ENVELOPES);
  return sampleLines(name).map((line, index) =>
    envelopeOf(line, { file: name, line: index + 1 }, parser),
  );
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
  const envelopes = createEnvelopeParser(SAMPLE_ENVELOPES);
  lines.forEach((line, index) => {
    const result = parser.parse(envelopeOf(line, { file: 'test', line: index + 1 }, envelopes));
    if (result === undefined) throw new Error(`Not understood: ${line}`);
    records.push(...result);
  });
  return records;
}
