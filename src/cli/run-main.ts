import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { escapeRawControls, visibleControls } from '../classify/text.js';
import type { Analysis } from '../model.js';
import { groupRecord, incidentRecord, summaryRecord, SCHEMA_VERSION } from '../output/records.js';
import { analyseLogs, type AnalyseOptions, type AnalyseResult } from '../pipeline/analyse.js';
import type { ReadCounts } from '../pipeline/read-events.js';
import { DEFAULTS } from './defaults.js';
import { exitCodeFor, failOnKindsOf } from './exit-codes.js';
import { createHeapGuard, type HeapGuard } from './heap-guard.js';
import { createProgress } from './progress.js';
import {
  dnsSettings,
  failOnKinds,
  readSettings,
  refuseOverwritingInputs,
  resolveFiles,
  text,
  warnInput,
} from './settings.js';
import type { RawOptions } from './settings.js';
import {
  batched,
  checkOutputPath,
  createBatcher,
  createStdoutSink,
  emit,
  isStdoutReaderGone,
  terminalWidth,
  writeError,
  writeStdout,
} from './streams.js';
import { parseCount } from './parse-options.js';

/** `mxtriage [options] [FILE...]`: read, group, re-check, report. */
export async function runMain(files: string[], options: RawOptions): Promise<number> {
  const paths = resolveFiles(files, warnInput);
  const output = checkOutputPath(text(options, 'output'));
  refuseOverwritingInputs(paths, [{ flag: '-o', path: output }]);
  const settings = readSettings(options, Date.now());
  const failOn = failOnKinds(options);
  const top = parseCount(text(options, 'top') ?? DEFAULTS.top, '--top');
  const dns = await dnsSettings(options);
  const guardHeap = createHeapGuard();

  const { analysis, counts } = await analyseWithProgress(paths, {
    ...settings,
    ...(dns === undefined ? {} : { dns }),
    guardHeap,
  });

  await writeReport(analysis, text(options, 'format') ?? DEFAULTS.format, {
    output,
    render: { top, ...(settings.timeZone === undefined ? {} : { timeZone: settings.timeZone }) },
    guardHeap,
  });
  reportDiagnostics(counts);
  const kinds = failOnKindsOf(analysis.groups);
  return exitCodeFor({ inputErrors: counts.inputErrors.length, kinds, failOn });
}

/** The logs analysed, with a progress bar on a terminal and the heap watched throughout. */
async function analyseWithProgress(
  paths: readonly string[],
  options: AnalyseOptions & { readonly guardHeap: HeapGuard },
): Promise<AnalyseResult> {
  const { guardHeap, ...analyseOptions } = options;
  const progress = await createProgress(paths);
  const result = await analyseLogs(paths, {
    ...analyseOptions,
    onBatch(batch) {
      guardHeap.check();
      progress?.update(batch);
    },
    onStage: guardHeap.settle,
    onDnsStart(domains) {
      if (process.stderr.isTTY && domains > 0) {
        writeError(`mxtriage: re-checking the DNS of ${domains} domains`);
      }
    },
  });
  progress?.stop();
  return result;
}

export interface RenderOptions {
  readonly top: number;
  readonly timeZone?: string;
}

/** Where a report goes and how it is drawn. */
interface ReportTarget {
  /** `-o FILE`; stdout when undefined or `-`. */
  readonly output: string | undefined;
  readonly render: RenderOptions;
  readonly guardHeap: HeapGuard;
}

type ReportWriter = (analysis: Analysis, target: ReportTarget) => Promise<void>;

/**
 * The formats written a piece at a time as they are made, by where they go, so that a report
 * of hundreds of thousands of groups is never held as one string. Any other format, or place,
 * is made whole by {@link render} and then written: a new format is added there, and here too
 * when it can be written in pieces.
 */
const STREAMED_FORMATS: ReadonlyMap<
  string,
  { readonly toStdout?: ReportWriter; readonly toFile?: ReportWriter }
> = new Map([
  [
    'ndjson',
    {
      toStdout: (analysis, { guardHeap }) => streamNdjson(ndjsonRecords(analysis), guardHeap),
    },
  ],
  [
    'json',
    {
      toStdout: (analysis, { guardHeap }) => streamPieces(batched(jsonPieces(analysis)), guardHeap),
      toFile: (analysis, { output }) => emit(jsonPieces(analysis), output),
    },
  ],
  [
    'table',
    {
      toStdout: (analysis, { render, guardHeap }) => streamTable(analysis, render, guardHeap),
    },
  ],
]);

/** Writes the report to stdout or `-o FILE`: in pieces where {@link STREAMED_FORMATS} can. */
async function writeReport(
  analysis: Analysis,
  format: string,
  target: ReportTarget,
): Promise<void> {
  const toStdout = target.output === undefined || target.output === '-';
  const writers = STREAMED_FORMATS.get(format);
  const streamed = toStdout ? writers?.toStdout : writers?.toFile;
  if (streamed !== undefined) return streamed(analysis, target);

  await emit(await render(analysis, format, target.render), target.output);
}

/** The analysis in one of the report formats, as one text. */
export async function render(
  analysis: Analysis,
  format: string,
  options: RenderOptions,
): Promise<string> {
  // Each format's module is loaded when asked for: the table's libraries alone take 10 MB.
  switch (format) {
    case 'ndjson':
      return toNdjson([...ndjsonRecords(analysis)]);
    case 'json':
      return [...jsonPieces(analysis)].join('');
    case 'markdown':
      return (await import('../output/markdown.js')).formatMarkdown(analysis, options);
    case 'html':
      return (await import('../output/html.js')).formatHtml(analysis, options);
    case 'prometheus':
      return (await import('../output/prometheus.js')).formatPrometheus(analysis);
    default: {
      const { formatTable } = await import('../output/table.js');
      return formatTable(analysis, { ...options, width: terminalWidth() });
    }
  }
}

/** Groups, then incidents, then the summary: the NDJSON stream's order. */
function* ndjsonRecords(analysis: Analysis): Generator<Record<string, unknown>> {
  for (const group of analysis.groups) yield groupRecord(group);
  for (const incident of analysis.incidents) yield incidentRecord(incident);
  yield summaryRecord(analysis);
}

/** Records between two looks at the heap while writing: each one leaves garbage behind. */
const RECORDS_PER_HEAP_CHECK = 1000;

/**
 * Writes records to stdout one by one through the ndjson library, waiting when it is full;
 * once the reader went away (`| head`), the records left are not made.
 */
async function streamNdjson(
  records: Iterable<Record<string, unknown>>,
  guardHeap: HeapGuard,
): Promise<void> {
  const serialiser = (await loadNdjson()).stringify();
  const sink = serialiser.pipe(createBatcher()).pipe(createStdoutSink());
  let written = 0;
  for (const record of records) {
    if (isStdoutReaderGone()) break;
    if (!serialiser.write(record)) await once(serialiser, 'drain');
    written += 1;
    if (written % RECORDS_PER_HEAP_CHECK === 0) guardHeap.check();
  }

  serialiser.end();
  await finished(sink);
}

/** Writes the table to stdout a part at a time (`tablePieces`), waiting when it is full. */
async function streamTable(
  analysis: Analysis,
  options: RenderOptions,
  guardHeap: HeapGuard,
): Promise<void> {
  const { tablePieces } = await import('../output/table.js');
  const pieces = tablePieces(analysis, {
    ...options,
    width: terminalWidth(),
    afterPart: guardHeap.check,
  });
  await streamPieces(pieces, guardHeap);
}

/** Writes pieces of a report to stdout as they are made, looking at the heap after each; once
 *  the reader went away, the pieces left are not made. */
async function streamPieces(pieces: Iterable<string>, guardHeap: HeapGuard): Promise<void> {
  for (const piece of pieces) {
    if (isStdoutReaderGone()) return;
    await writeStdout(piece);
    guardHeap.check();
  }
}

/**
 * `--format json`: the text `JSON.stringify(document, null, 2)` would give, one group or
 * incident at a time, so that a run of hundreds of thousands of groups never holds the whole
 * document as one string (which V8 cannot make past about 512 MB).
 */
export function* jsonPieces(analysis: Analysis): Generator<string> {
  const { type: _type, ...summary } = summaryRecord(analysis);
  yield `{\n  "schemaVersion": ${SCHEMA_VERSION},\n  "summary": ${nested(summary, '  ')},\n`;
  yield '  "groups": ';
  yield* arrayPieces(analysis.groups, groupRecord);
  yield ',\n  "incidents": ';
  yield* arrayPieces(analysis.incidents, incidentRecord);
  yield '\n}\n';
}

function* arrayPieces<T>(
  items: readonly T[],
  recordOf: (item: T) => Record<string, unknown>,
): Generator<string> {
  if (items.length === 0) {
    yield '[]';
    return;
  }

  for (const [index, item] of items.entries()) {
    yield `${index === 0 ? '[\n' : ',\n'}    ${nested(recordOf(item), '    ')}`;
  }

  yield '\n  ]';
}

/** A value as `JSON.stringify(value, null, 2)` writes it at this depth of the document. */
function nested(value: unknown, indent: string): string {
  return escapeRawControls(JSON.stringify(value, null, 2).replaceAll('\n', `\n${indent}`));
}

/** Serialises records one per line through the ndjson library. */
export async function toNdjson(records: readonly Record<string, unknown>[]): Promise<string> {
  const serialiser = (await loadNdjson()).stringify();
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  serialiser.pipe(sink);
  for (const record of records) serialiser.write(record);
  serialiser.end();
  await new Promise((resolve) => sink.on('end', resolve));
  return escapeRawControls(Buffer.concat(chunks).toString('utf8'));
}

/** The ndjson library and the stream modules under it take some 9 MB: loaded when needed. */
export async function loadNdjson(): Promise<typeof import('ndjson')> {
  return (await import('ndjson')).default;
}

/** Unreadable inputs and not-understood samples go to stderr; stdout carries the product. */
export function reportDiagnostics(counts: ReadCounts): void {
  // The input's name with every control as an escape, line breaks too: a file name cannot
  // write a line of its own.
  for (const { input, message } of counts.inputErrors) {
    writeError(`mxtriage: ${message.split(input).join(visibleControls(input))}`);
  }

  for (const sample of counts.unparsed) {
    const what = sample.where === 'input' ? 'input warning' : `not understood (${sample.where})`;
    const where = `${visibleControls(sample.source.file)}:${sample.source.line}`;
    writeError(`${what} ${where}: ${visibleControls(sample.text)}`);
  }

  const hidden = counts.linesNotUnderstood + counts.inputWarnings - counts.unparsed.length;
  if (counts.unparsed.length > 0 && hidden > 0) {
    writeError(`mxtriage: ${hidden} more not shown (a larger --show-unparsed shows more)`);
  }
}
