/**
 * The benchmark: mxtriage's main job against Debian's pflogsumm on the same generated logs.
 *
 *   npm run bench [-- --lines 5000000] [--skip-pflogsumm] [--exim] [--long] [--runs N]
 *
 * 1. Builds mxtriage (`npm run build`; bin/mxtriage runs the built dist/).
 * 2. Generates with generate.ts, once, into os.tmpdir()/mxtriage-bench/ (file names carry the
 *    line count, the seed and a hash of the generator's source, so a changed generator makes new
 *    files): a Postfix log of 1,000,000 lines, one of --lines lines (default 5,000,000), a
 *    10,000-line check file, and with --exim an Exim mainlog of 1,000,000 lines. The large file
 *    packs --lines lines into the same day (denser traffic); with --long a third Postfix file
 *    spreads them over as many days as the traffic of the 1M file needs (the same density, a
 *    longer log), to tell memory that grows with traffic from memory that grows with time.
 * 3. Checks the generated lines: `mxtriage --offline --format json` on the check file must
 *    understand every line, and its status counts are set beside the generator's manifest.
 * 4. Runs, one after the other, on the same files:
 *      bin/mxtriage --offline --format ndjson FILE > /dev/null        (DNS re-check off)
 *      /usr/sbin/pflogsumm FILE > /dev/null                            (Postfix files only)
 *      /usr/sbin/eximstats FILE > /dev/null                            (the Exim file, when
 *                                                                       exim4-base is there)
 *    Each child is measured by GNU time (`/usr/bin/time -f '%e %M %U %S'`): wall-clock seconds,
 *    the child's peak resident set size (getrusage ru_maxrss, in KB) and its CPU seconds. With
 *    --runs N each command runs N times; the fastest wall and CPU times and the highest peak RSS
 *    are kept. The machine's load average is printed: other load slows wall times (CPU times
 *    much less), so compare figures from a quiet machine.
 * 5. Prints a plain table (tool, file, lines, wall s, lines/s, peak RSS MB, speed-up over
 *    pflogsumm in wall time, cpu s), mxtriage's peak RSS at 1M against the large file, and the
 *    targets of issue 2: at least 10 times pflogsumm's throughput, peak RSS under 150 MB that
 *    does not grow.
 *
 * Needs GNU time and pflogsumm: `apt-get install -y time pflogsumm`; eximstats (Debian's
 * exim4-base) is timed on the Exim file when it is installed. Exit status 0 when every
 * run finished, 1 when one failed (the table still shows the others), 2 on bad usage.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { MxtriageError } from '../../src/errors.js';
import { type BenchMta, type Manifest, generateFile } from './generate.js';

interface BenchOptions {
  readonly lines: number;
  readonly long: boolean;
  readonly skipPflogsumm: boolean;
  readonly exim: boolean;
  readonly runs: number;
}

interface LogFile {
  readonly path: string;
  readonly mta: BenchMta;
  readonly lines: number;
  /** Hours the log spans. */
  readonly hours: number;
  readonly manifest: Manifest;
}

interface Measurement {
  readonly tool: 'mxtriage' | 'pflogsumm' | 'eximstats';
  readonly file: LogFile;
  readonly wallSeconds: number;
  /** User plus system CPU seconds: less disturbed than wall time by other load. */
  readonly cpuSeconds: number;
  readonly peakRssKb: number;
  /** Why the run failed; absent when it exited 0. */
  readonly failure?: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BENCH_DIR = path.join(ROOT, 'test/bench');
const CACHE_DIR = path.join(os.tmpdir(), 'mxtriage-bench');
const GNU_TIME = '/usr/bin/time';
const PFLOGSUMM = '/usr/sbin/pflogsumm';
const EXIMSTATS = '/usr/sbin/eximstats';
const SMALL_LINES = 1_000_000;
const CHECK_LINES = 10_000;
const SEED = 20261102;
const DAY_HOURS = 24;
const TARGET_SPEEDUP = 10;
const TARGET_RSS_MB = 150;
/** Peak RSS counts as growing when the large file needs this much more than the 1M file. */
const RSS_GROWTH_LIMIT = 1.2;

async function main(argv: readonly string[]): Promise<number> {
  const options = parseCommandLine(argv);

  requireTools(options);

  const isBuilt = build();
  const files = await prepareFiles(options);

  if (isBuilt) {
    checkGeneratedLines(files.checks);
  }

  const measurements = measureAll(files.timed, options, isBuilt);

  printReport(measurements);

  return measurements.some((measurement) => measurement.failure !== undefined) ? 1 : 0;
}

function parseCommandLine(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      lines: { type: 'string', default: '5000000' },
      'skip-pflogsumm': { type: 'boolean', default: false },
      exim: { type: 'boolean', default: false },
      long: { type: 'boolean', default: false },
      runs: { type: 'string', default: '1' },
    },
  });
  const lines = Number(values.lines);
  const runs = Number(values.runs);

  if (!Number.isInteger(lines) || lines < CHECK_LINES) {
    throw new MxtriageError(
      'USAGE',
      `Invalid --lines: ${values.lines} (an integer from ${CHECK_LINES})`,
    );
  }

  if (!Number.isInteger(runs) || runs < 1) {
    throw new MxtriageError('USAGE', `Invalid --runs: ${values.runs} (a positive integer)`);
  }

  return {
    lines,
    long: values.long,
    skipPflogsumm: values['skip-pflogsumm'],
    exim: values.exim,
    runs,
  };
}

function requireTools(options: BenchOptions): void {
  if (!existsSync(GNU_TIME)) {
    throw new MxtriageError(
      'INPUT_MISSING',
      `Missing ${GNU_TIME}: install GNU time (apt-get install -y time)`,
    );
  }

  if (!options.skipPflogsumm && !existsSync(PFLOGSUMM)) {
    throw new MxtriageError(
      'INPUT_MISSING',
      `Missing ${PFLOGSUMM}: install it (apt-get install -y pflogsumm) or pass --skip-pflogsumm`,
    );
  }
}

/** Builds dist/; false (and a warning) when the build fails, so pflogsumm still runs. */
function build(): boolean {
  progress('building mxtriage (npm run build)');

  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });

  if (result.status === 0) {
    return true;
  }

  progress(
    `mxtriage does not build; its runs are skipped:\n${tail(result.stdout + result.stderr)}`,
  );

  return false;
}

async function prepareFiles(
  options: BenchOptions,
): Promise<{ timed: LogFile[]; checks: LogFile[] }> {
  const version = generatorVersion();
  const small = Math.min(SMALL_LINES, Math.floor(options.lines / 5));
  const timed = [
    await logFile('postfix', small, version),
    await logFile('postfix', options.lines, version),
  ];
  const checks = [await logFile('postfix', CHECK_LINES, version)];

  if (options.long) {
    const days = Math.max(1, Math.round(options.lines / small));
    timed.push(await logFile('postfix', options.lines, version, days * DAY_HOURS));
  }

  if (options.exim) {
    timed.push(await logFile('exim', small, version));
    checks.push(await logFile('exim', CHECK_LINES, version));
  }

  return { timed, checks };
}

/** A generated log from the cache, written first when it is not there. */
async function logFile(
  mta: BenchMta,
  lines: number,
  version: string,
  hours = DAY_HOURS,
): Promise<LogFile> {
  const span = hours === DAY_HOURS ? '' : `-${hours}h`;
  const base = path.join(CACHE_DIR, `${mta}-${lines}${span}-seed${SEED}-${version}`);
  const logPath = `${base}.log`;
  const manifestPath = `${base}.manifest.json`;

  if (existsSync(logPath) && existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    return { path: logPath, mta, lines, hours, manifest };
  }

  mkdirSync(CACHE_DIR, { recursive: true });
  removeStale(mta, lines, version);
  progress(`generating ${logPath}`);

  const manifest = await generateFile(logPath, { mta, lines, seed: SEED, hours });

  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

  return { path: logPath, mta, lines, hours, manifest };
}

/** Older generations of the same file would only fill the disk. */
function removeStale(mta: BenchMta, lines: number, version: string): void {
  const prefix = `${mta}-${lines}-seed${SEED}-`;

  for (const name of readdirSync(CACHE_DIR)) {
    if (name.startsWith(prefix) && !name.includes(version)) {
      rmSync(path.join(CACHE_DIR, name), { force: true });
    }
  }
}

/** A short hash of the generator's source files: a changed generator means new files. */
function generatorVersion(): string {
  const hash = createHash('sha256');
  const sources = readdirSync(BENCH_DIR)
    .filter((name) => name.endsWith('.ts') && name !== 'run.ts' && !name.endsWith('.test.ts'))
    .sort();

  for (const name of sources) {
    hash.update(name);
    hash.update(readFileSync(path.join(BENCH_DIR, name)));
  }

  return hash.digest('hex').slice(0, 10);
}

/** Every generated line should be understood; the counts should match what was generated. */
function checkGeneratedLines(files: readonly LogFile[]): void {
  for (const file of files) {
    const result = spawnSync('bin/mxtriage', ['--offline', '--format', 'json', file.path], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });

    if (result.status !== 0) {
      progress(
        `check of ${file.mta} lines failed (exit ${result.status}):\n${tail(result.stderr)}`,
      );
      continue;
    }

    progress(describeCheck(file, JSON.parse(result.stdout) as Record<string, unknown>));
  }
}

function describeCheck(file: LogFile, report: Record<string, unknown>): string {
  const summary = (report.summary ?? report) as Record<string, unknown>;
  const notUnderstood = summary.linesNotUnderstood;
  const by = JSON.stringify(summary.notUnderstoodBy ?? {});
  const statuses = JSON.stringify(summary.statuses ?? {});
  const generated = JSON.stringify(file.manifest.tally.statuses);

  return (
    `check ${file.mta} ${file.lines} lines: not understood ${notUnderstood} ${by}; ` +
    `mxtriage statuses ${statuses}; generated ${generated}`
  );
}

function measureAll(
  files: readonly LogFile[],
  options: BenchOptions,
  isBuilt: boolean,
): Measurement[] {
  const measurements: Measurement[] = [];

  for (const file of files) {
    if (isBuilt) {
      // Run as users run it (`npx mxtriage`): through the shebang, with its V8 flags.
      const command = ['bin/mxtriage', '--offline', '--format', 'ndjson', file.path];

      measurements.push(measureBest('mxtriage', file, command, options.runs));
    }

    if (!options.skipPflogsumm && file.mta === 'postfix') {
      measurements.push(measureBest('pflogsumm', file, [PFLOGSUMM, file.path], options.runs));
    }

    if (file.mta === 'exim' && existsSync(EXIMSTATS)) {
      measurements.push(measureBest('eximstats', file, [EXIMSTATS, file.path], options.runs));
    }
  }

  return measurements;
}

function measureBest(
  tool: Measurement['tool'],
  file: LogFile,
  command: readonly string[],
  runs: number,
): Measurement {
  let best: Measurement | undefined;

  for (let run = 0; run < runs; run += 1) {
    const current = measure(tool, file, command);

    if (current.failure !== undefined) {
      return current;
    }

    best =
      best === undefined
        ? current
        : {
            ...best,
            wallSeconds: Math.min(best.wallSeconds, current.wallSeconds),
            cpuSeconds: Math.min(best.cpuSeconds, current.cpuSeconds),
            peakRssKb: Math.max(best.peakRssKb, current.peakRssKb),
          };
  }

  return best as Measurement;
}

/** Runs one command under GNU time with stdout thrown away; wall seconds and peak RSS. */
function measure(
  tool: Measurement['tool'],
  file: LogFile,
  command: readonly string[],
): Measurement {
  const timing = path.join(CACHE_DIR, `time-${process.pid}.txt`);
  const devNull = openSync('/dev/null', 'w');

  progress(`running ${tool} on ${path.basename(file.path)}`);

  try {
    const result = spawnSync(GNU_TIME, ['-f', '%e %M %U %S', '-o', timing, ...command], {
      cwd: ROOT,
      stdio: ['ignore', devNull, 'pipe'],
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const [wall, rss, user, system] = lastLine(readFileSync(timing, 'utf8')).split(' ').map(Number);
    const failure =
      result.status === 0 ? undefined : `exit ${result.status}: ${tail(result.stderr)}`;

    return {
      tool,
      file,
      wallSeconds: wall ?? NaN,
      cpuSeconds: (user ?? NaN) + (system ?? NaN),
      peakRssKb: rss ?? NaN,
      ...(failure ? { failure } : {}),
    };
  } finally {
    closeSync(devNull);
    rmSync(timing, { force: true });
  }
}

function printReport(measurements: readonly Measurement[]): void {
  const rows = measurements.map((measurement) => reportRow(measurement, measurements));
  const header = ['tool', 'file', 'lines', 'wall s', 'lines/s', 'peak RSS MB', 'speed-up', 'cpu s'];

  process.stdout.write(`${formatTable([header, ...rows])}\n`);

  for (const measurement of measurements) {
    if (measurement.failure !== undefined) {
      process.stdout.write(
        `${measurement.tool} failed on ${measurement.file.path}: ${measurement.failure}\n`,
      );
    }
  }

  process.stdout.write(`${describeTargets(measurements).join('\n')}\n${describeMachine()}\n`);
}

function reportRow(measurement: Measurement, all: readonly Measurement[]): string[] {
  const { tool, file, wallSeconds, cpuSeconds, peakRssKb } = measurement;
  const reference = referenceOf(file, all);
  const speedup =
    tool === 'mxtriage' && reference !== undefined && measurement.failure === undefined
      ? `${(reference.wallSeconds / wallSeconds).toFixed(1)}x`
      : '';

  return [
    tool,
    fileLabel(file),
    file.lines.toLocaleString('en-US'),
    wallSeconds.toFixed(2),
    Math.round(file.lines / wallSeconds).toLocaleString('en-US'),
    (peakRssKb / 1024).toFixed(1),
    speedup,
    cpuSeconds.toFixed(2),
  ];
}

/** The targets of issue 2, each with the figures it was judged on. */
function describeTargets(measurements: readonly Measurement[]): string[] {
  const ours = measurements.filter((m) => m.tool === 'mxtriage' && m.failure === undefined);
  const postfix = ours.filter((m) => m.file.mta === 'postfix');
  const [small, ...larger] = postfix;
  const lines: string[] = [];

  for (const large of larger) {
    if (small === undefined) break;
    const ratio = large.peakRssKb / small.peakRssKb;
    const verdict = ratio > RSS_GROWTH_LIMIT ? 'grows' : 'flat';

    lines.push(
      `mxtriage peak RSS: ${fileLabel(small.file)} ${mb(small)}, ` +
        `${fileLabel(large.file)} ${mb(large)} (x${ratio.toFixed(2)}: ${verdict})`,
    );
  }

  for (const measurement of ours) {
    lines.push(describeTarget(measurement, measurements));
  }

  return lines;
}

/** The tool mxtriage is compared with on a file: pflogsumm on Postfix, eximstats on Exim. */
function referenceOf(file: LogFile, all: readonly Measurement[]): Measurement | undefined {
  return all.find((other) => other.tool !== 'mxtriage' && other.file === file);
}

function describeTarget(measurement: Measurement, all: readonly Measurement[]): string {
  const reference = referenceOf(measurement.file, all);
  const rssMet = measurement.peakRssKb / 1024 < TARGET_RSS_MB ? 'met' : 'missed';
  const name = fileLabel(measurement.file);

  if (reference === undefined || reference.failure !== undefined) {
    return `target on ${name}: peak RSS < ${TARGET_RSS_MB} MB ${rssMet} (${mb(measurement)})`;
  }

  const speedup = reference.wallSeconds / measurement.wallSeconds;
  const cpuRatio = reference.cpuSeconds / measurement.cpuSeconds;
  const speedMet = speedup >= TARGET_SPEEDUP ? 'met' : 'missed';

  return (
    `target on ${name}: >= ${TARGET_SPEEDUP}x ${reference.tool} ${speedMet} ` +
    `(${speedup.toFixed(1)}x wall, ` +
    `${cpuRatio.toFixed(1)}x CPU), ` +
    `peak RSS < ${TARGET_RSS_MB} MB ${rssMet} (${mb(measurement)})`
  );
}

function describeMachine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model ?? 'unknown CPU';

  return (
    `machine: ${cpus.length} CPUs (${model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `node ${process.version}, load average ${os.loadavg()[0]?.toFixed(1)}; ` +
    'GNU time: %e wall, %M peak RSS of the child, %U+%S CPU'
  );
}

function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );

  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `postfix 5M`, or `postfix 5M/5d` for a file spread over more than a day. */
function fileLabel(file: LogFile): string {
  const days = file.hours === DAY_HOURS ? '' : `/${file.hours / DAY_HOURS}d`;
  return `${file.mta} ${abbreviate(file.lines)}${days}`;
}

function abbreviate(lines: number): string {
  return lines % 1_000_000 === 0 ? `${lines / 1_000_000}M` : `${lines / 1000}k`;
}

function mb(measurement: Measurement): string {
  return `${(measurement.peakRssKb / 1024).toFixed(1)} MB`;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-8).join('\n');
}

function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const isUsage = error instanceof MxtriageError && error.code === 'USAGE';

    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = isUsage ? 2 : 1;
  },
);
