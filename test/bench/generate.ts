/**
 * Writes a realistic mail log for the benchmark, streaming (the file is never held in memory).
 *
 *   node --import tsx test/bench/generate.ts --mta postfix|exim --lines N --out FILE
 *        [--seed N] [--hours H] [--domains N] [--manifest FILE]
 *
 * Postfix lines use the classic syslog envelope (`Nov  2 09:05:07 mailhost postfix/smtp[1234]:`),
 * Exim lines its own mainlog stamp. The traffic (traffic.ts) goes to thousands of recipient
 * domains with Zipf-like popularity, each message with its whole chain of lines, about 85% of
 * delivery records sent, 12% deferred and 3% bounced, and a day's incidents: one domain's DNS
 * down for an hour, our resolver down for ten minutes, a hosting provider's MX hosts unresolvable,
 * remote servers failing to resolve our sender domain. The same options give the same file.
 * `--manifest` writes what was generated (counts per status and failure kind, incident times)
 * as JSON, so checks can compare a tool's findings with the truth.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';

import { MxtriageError } from '../../src/errors.js';
import { EximDialect } from './exim-dialect.js';
import { LineSink, type Tally } from './line-sink.js';
import { PostfixDialect } from './postfix-dialect.js';
import { Random } from './random.js';
import { type Dialect, type Scenario, Traffic } from './traffic.js';

export type BenchMta = 'postfix' | 'exim';

export interface GenerateOptions {
  readonly mta: BenchMta;
  readonly lines: number;
  readonly seed?: number;
  /** Hours the log spans; traffic density follows from lines and hours. */
  readonly hours?: number;
  readonly domains?: number;
  /** Wall-clock start, epoch ms; written as the log's local time. */
  readonly start?: number;
}

export interface Manifest {
  readonly mta: BenchMta;
  readonly lines: number;
  readonly seed: number;
  readonly hours: number;
  readonly domains: number;
  readonly messages: number;
  readonly firstTime: string;
  readonly lastTime: string;
  readonly scenario: Scenario;
  readonly tally: Tally;
}

const DEFAULTS = {
  seed: 20261102,
  hours: 24,
  domains: 5000,
  start: Date.UTC(2026, 10, 2, 0, 0, 0),
};

const CHUNK_CHARS = 1 << 16;

/** Streams `options.lines` lines to `output`, waiting whenever the stream asks to. */
export async function generateLog(output: Writable, options: GenerateOptions): Promise<Manifest> {
  const settings = { ...DEFAULTS, ...options };
  const sink = new LineSink(settings.lines);
  const dialect = createDialect(settings.mta, sink, settings.seed);
  const traffic = new Traffic(dialect, settings, () => sink.count);

  while (!sink.isFull && traffic.step()) {
    if (sink.buffered >= CHUNK_CHARS) {
      await writeChunk(output, sink.take());
    }
  }

  await writeChunk(output, sink.take());

  return {
    mta: settings.mta,
    lines: sink.count,
    seed: settings.seed,
    hours: settings.hours,
    domains: settings.domains,
    messages: traffic.messages,
    firstTime: new Date(settings.start).toISOString(),
    lastTime: new Date(traffic.now).toISOString(),
    scenario: traffic.scenario,
    tally: sink.tally,
  };
}

/** Writes the log to `path` through a temporary name, so a cut-short run leaves no file. */
export async function generateFile(path: string, options: GenerateOptions): Promise<Manifest> {
  const partial = `${path}.partial`;
  const output = createWriteStream(partial);
  const manifest = await generateLog(output, options);

  output.end();
  await once(output, 'finish');
  await rename(partial, path);

  return manifest;
}

function createDialect(mta: BenchMta, sink: LineSink, seed: number): Dialect {
  const random = new Random(seed ^ 0x5bd1e995);

  return mta === 'postfix' ? new PostfixDialect(sink, random) : new EximDialect(sink, random);
}

async function writeChunk(output: Writable, text: string): Promise<void> {
  if (text.length > 0 && !output.write(text)) {
    await once(output, 'drain');
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const { options, out, manifestPath } = parseCommandLine(argv);
  const manifest = await generateFile(out, options);
  const { sent, deferred, bounced, expired } = manifest.tally.statuses;

  process.stderr.write(
    `${out}: ${manifest.lines} lines, ${manifest.messages} messages, ` +
      `sent ${sent}, deferred ${deferred}, bounced ${bounced}, expired ${expired}\n`,
  );

  if (manifestPath !== undefined) {
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }

  return 0;
}

function parseCommandLine(argv: readonly string[]): {
  options: GenerateOptions;
  out: string;
  manifestPath: string | undefined;
} {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      mta: { type: 'string', default: 'postfix' },
      lines: { type: 'string', default: '1000000' },
      out: { type: 'string' },
      seed: { type: 'string', default: String(DEFAULTS.seed) },
      hours: { type: 'string', default: String(DEFAULTS.hours) },
      domains: { type: 'string', default: String(DEFAULTS.domains) },
      manifest: { type: 'string' },
    },
  });

  if (values.mta !== 'postfix' && values.mta !== 'exim') {
    throw new MxtriageError('USAGE', `Unknown --mta: ${values.mta} (allowed: postfix, exim)`);
  }

  if (values.out === undefined) {
    throw new MxtriageError('USAGE', 'Missing --out: the file to write');
  }

  const options: GenerateOptions = {
    mta: values.mta,
    lines: positive('lines', values.lines),
    seed: positive('seed', values.seed),
    hours: positive('hours', values.hours),
    domains: positive('domains', values.domains),
  };

  return { options, out: values.out, manifestPath: values.manifest };
}

function positive(name: string, text: string): number {
  const value = Number(text);

  if (!Number.isFinite(value) || value <= 0) {
    throw new MxtriageError('USAGE', `Invalid --${name}: ${text} (a positive number)`);
  }

  return value;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const isUsage = error instanceof MxtriageError && error.code === 'USAGE';

      process.stderr.write(`generate: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = isUsage ? 2 : 1;
    },
  );
}
