import { createClassifier, type Classifier } from '../classify/classify.js';
import { normaliseDomain } from '../classify/domain.js';
import { displayName, visibleControls } from '../classify/text.js';
import {
  createEnvelopeParser,
  type EnvelopeOptions,
  type EnvelopeParser,
} from '../envelope/parse-envelope.js';
import { MAX_JOINED } from '../envelope/pieces.js';
import { readInputs, type InputInfo, type LineBatch } from '../input/read-inputs.js';
import type {
  DeliveryEvent,
  DeliveryRecord,
  Envelope,
  MessageRecord,
  MtaParser,
  Source,
} from '../model.js';
import { createParsers, parserFor } from '../mta/index.js';
import { DATED_CONTEXT_MARK, markContextLine } from './context-lines.js';

/**
 * journalctl leaves out a MESSAGE longer than 4096 bytes (`"MESSAGE":null`) unless run with
 * `--all`: a mail server's such lines are counted apart, so the count says how to get them
 * back (another program's are other programs' lines, like the rest of theirs).
 */
const LEFT_OUT = 'journald (MESSAGE left out: export with journalctl --all)';
const REPEATED = 'message repeated ';
const REPEATED_LINE = /^message repeated \d+ times: \[.*\]$/s;

/** The recipients of one message come one after another, with the same sender. */
const lastSender = { address: '', domain: '' };

/** What the reading stage tells its consumer, line by line and input by input. */
export interface EventSink {
  event(event: DeliveryEvent): void;
  /** Postfix `removed`, Exim `Completed`, Postfix qmgr `status=expired`, Sendmail hand-offs. */
  record?(record: MessageRecord): void;
  /** Called after each batch of lines, for progress, back-pressure and resumable state. */
  batch?(batch: LineBatch): void | Promise<void>;
}

export interface ReadOptions {
  readonly envelope: Omit<EnvelopeOptions, 'referenceTime'>;
  readonly stdin?: NodeJS.ReadableStream;
  readonly startOffsets?: ReadonlyMap<string, number>;
  /** Lines before each start offset: line numbers stay the file's own (see `readInputs`). */
  readonly startLines?: ReadonlyMap<string, number>;
  /** Leave a live log's unfinished last line for the next run (see `readInputs`). */
  readonly holdUnfinishedLine?: boolean;
  /** How many not-understood lines to keep as samples for `--show-unparsed`. */
  readonly unparsedSamples?: number;
  /** Count context lines without decoding them (`markContextLine`); on unless false. Turned
   *  off only to check that both ways give the same result. */
  readonly markContextLines?: boolean;
}

export interface UnparsedSample {
  readonly source: Source;
  readonly where: string;
  readonly text: string;
}

/** Counts from reading, for the summary. Nothing read is dropped without being counted here. */
export interface ReadCounts {
  readonly inputs: string[];
  readonly inputErrors: { input: string; message: string }[];
  linesRead: number;
  linesNotUnderstood: number;
  readonly notUnderstoodBy: Record<string, number>;
  linesOtherPrograms: number;
  readonly otherProgramsBy: Record<string, number>;
  handoffs: number;
  inputWarnings: number;
  readonly unparsed: UnparsedSample[];
}

/**
 * Reads every input line by line, parses the envelope and the mail server's record, classifies
 * each delivery and hands the events to the sink. Inputs that cannot be read are recorded in
 * `inputErrors`; the other inputs are still read.
 */
export async function readEvents(
  paths: readonly string[],
  sink: EventSink,
  options: ReadOptions,
): Promise<ReadCounts> {
  const run: Run = {
    sink,
    parsers: createParsers(),
    classifier: createClassifier(),
    counts: emptyCounts(),
    sampleLimit: options.unparsedSamples ?? 0,
    last: { program: '', parser: undefined },
    envelopes: createEnvelopeParser(options.envelope, (source) => cutContainerLine(run, source)),
  };
  let current: { input: InputInfo; reader: LineReader } | undefined;

  for await (const item of readInputs(paths, inputOptions(options))) {
    if (current?.input !== item.input) {
      current?.reader.finish();
      current = { input: item.input, reader: createLineReader(item.input, run) };
    }

    // An input is listed as read once it gave lines; one that could not be opened is not.
    if (item.kind !== 'problem' && !run.counts.inputs.includes(item.input.name)) {
      run.counts.inputs.push(item.input.name);
    }

    if (item.kind === 'problem') {
      run.counts.inputErrors.push({ input: item.input.name, message: item.error.message });
    } else if (item.kind === 'warning') {
      run.counts.inputWarnings += 1;
      keepSample(run, { file: item.input.name, line: item.line }, 'input', item.message);
    } else {
      readBatch(item, current.reader);
      await sink.batch?.(item);
    }
  }

  current?.reader.finish();
  return run.counts;
}

/** What every line of one run goes through, and where its counts go. */
interface Run {
  readonly sink: EventSink;
  readonly parsers: readonly MtaParser[];
  readonly classifier: Classifier;
  readonly counts: ReadCounts;
  readonly sampleLimit: number;
  readonly last: { program: string; parser: MtaParser | undefined };
  /** One for all inputs, so that the year-less clock can go on from one to the next. */
  readonly envelopes: EnvelopeParser;
}

/** Reads the lines of one input; `finish` hands over what is still buffered at its end. */
interface LineReader {
  parse(line: string, source: Source): void;
  /** A line the reader did not decode: a context line, with its mark (`markContextLine`). */
  skip(mark: number): void;
  finish(): void;
}

function createLineReader(input: InputInfo, run: Run): LineReader {
  const { envelopes } = run;
  envelopes.startInput(input.mtime ?? Date.now());

  function parse(text: string, source: Source): void {
    run.counts.linesRead += 1;
    // NUL bytes before a line (a crash's zero-filled blocks) were removed, with a warning, by
    // the line splitter.
    const line = text;
    const envelope = envelopes.parse(line, source);
    if (envelope === 'pending') return;
    if (envelope === undefined) {
      if (isJournalMarker(line)) countOtherProgram(run, 'journalctl');
      else if (line.length > 0) notUnderstood(run, source, envelopeProblem(line), line);
      return;
    }

    parseRecords(envelope, run, line);
  }

  function skip(mark: number): void {
    run.counts.linesRead += 1;
    if (mark !== DATED_CONTEXT_MARK) envelopes.passStamp(mark);
  }

  /** Exim records split over several syslog lines whose last piece never came. */
  function finish(): void {
    const unparsed = (text: string, source: Source) => notUnderstood(run, source, 'envelope', text);
    for (const envelope of envelopes.flush(unparsed)) {
      parseRecords(envelope, run, envelope.message);
    }
  }

  return { parse, skip, finish };
}

function inputOptions(options: ReadOptions): Parameters<typeof readInputs>[1] {
  return {
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.startOffsets === undefined ? {} : { startOffsets: options.startOffsets }),
    ...(options.startLines === undefined ? {} : { startLines: options.startLines }),
    ...(options.holdUnfinishedLine === true ? { holdUnfinishedLine: true } : {}),
    ...(options.markContextLines === false ? {} : { marker: markContextLine }),
  };
}

function emptyCounts(): ReadCounts {
  return {
    inputs: [],
    inputErrors: [],
    linesRead: 0,
    linesNotUnderstood: 0,
    notUnderstoodBy: {},
    linesOtherPrograms: 0,
    otherProgramsBy: {},
    handoffs: 0,
    inputWarnings: 0,
    unparsed: [],
  };
}

function readBatch(batch: LineBatch, reader: LineReader): void {
  const file = batch.input.name;
  const { lines, marks } = batch;
  for (let index = 0; index < lines.length; index += 1) {
    const mark = marks === undefined ? 0 : (marks[index] as number);
    if (mark === 0) reader.parse(lines[index] as string, { file, line: batch.firstLine + index });
    else reader.skip(mark);
  }
}

function parseRecords(envelope: Envelope, run: Run, line: string): void {
  const parser = parserOf(run, envelope.program);
  // A journal entry whose message was left out: a mail server's, or one that names no program.
  if (envelope.isMessageLeftOut === true && (parser !== undefined || envelope.program === '')) {
    notUnderstood(run, envelope.source, LEFT_OUT, line);
    return;
  }

  if (parser === undefined) {
    countOtherProgram(run, programName(envelope.program));
    return;
  }

  // rsyslog's reduction of repeats (`message repeated 2 times: [ ... ]`) stands for copies of
  // the line before it, which was read: Postfix's delivery lines never repeat word for word.
  if (envelope.message.startsWith(REPEATED) && REPEATED_LINE.test(envelope.message)) return;

  const records = parser.parse(envelope);
  if (records === undefined) {
    notUnderstood(run, envelope.source, `${parser.mta}/${daemonName(envelope.program)}`, line);
    return;
  }

  for (const record of records) {
    if (record.kind === 'delivery') {
      deliver(record, run);
    } else {
      run.sink.record?.(record);
    }
  }
}

function countOtherProgram(run: Run, program: string): void {
  run.counts.linesOtherPrograms += 1;
  run.counts.otherProgramsBy[program] = (run.counts.otherProgramsBy[program] ?? 0) + 1;
}

/** What `journalctl` writes between entries in its text formats: `-- Boot 1a2b... --`,
 *  `-- Reboot --`, `-- Journal begins at ... --`, `-- No entries --`. */
function isJournalMarker(line: string): boolean {
  return line.length < 200 && line.startsWith('-- ') && line.endsWith(' --');
}

/** Consecutive lines mostly share their program tag: remember the last choice. */
function parserOf(run: Run, program: string): MtaParser | undefined {
  if (program !== run.last.program) {
    run.last.program = program;
    run.last.parser = parserFor(run.parsers, program);
  }

  return run.last.parser;
}

function deliver(record: DeliveryRecord, run: Run): void {
  // Sendmail's submission program logs `Sent (... accepted for delivery)` when it hands the
  // message to the local daemon; the daemon logs the real delivery later.
  if (record.isHandoff === true && record.status === 'sent') {
    run.counts.handoffs += 1;
    return;
  }

  run.sink.event(toEvent(record, run.classifier));
}

/**
 * Turns a parsed delivery record into a classified delivery event. Strings still point into the
 * input chunk; the stages that keep one for long copy it (`detach`).
 */
export function toEvent(record: DeliveryRecord, classifier: Classifier): DeliveryEvent {
  const { domain, display } = normaliseDomain(record.recipient);
  const classification = classifier.classify(record);
  const event: Writable<DeliveryEvent> = {
    time: record.time,
    host: record.host,
    mta: record.mta,
    daemon: record.daemon,
    queueId: record.queueId,
    recipient: record.recipient,
    domain,
    status: record.status,
    text: record.text,
    cause: classification.cause,
    isRepeat: classification.isRepeat,
    source: record.source,
  };
  if (display !== undefined) event.domainDisplay = display;
  if (record.sender !== undefined) addSender(event, record.sender);
  if (record.dsn !== undefined) event.dsn = record.dsn;
  if (record.relay !== undefined) event.relay = record.relay;
  if (classification.lookupName !== undefined) event.lookupName = classification.lookupName;
  return event;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

function addSender(event: Writable<DeliveryEvent>, sender: string): void {
  event.sender = sender;
  const senderDomain = senderDomainOf(sender);
  if (senderDomain !== '') event.senderDomain = senderDomain;
}

function senderDomainOf(sender: string): string {
  if (sender !== lastSender.address) {
    lastSender.address = sender;
    lastSender.domain = normaliseDomain(sender).domain;
  }

  return lastSender.domain;
}

/** A container's line joined from its pieces past the longest line read: warned of, as the
 *  reader warns of a line it cuts. */
function cutContainerLine(run: Run, source: Source): void {
  run.counts.inputWarnings += 1;
  const cut = `Container line longer than ${MAX_JOINED} characters`;
  const message = `${cut}: cut there, the rest dropped`;
  keepSample(run, source, 'input', message);
}

function notUnderstood(run: Run, source: Source, where: string, text: string): void {
  run.counts.linesNotUnderstood += 1;
  run.counts.notUnderstoodBy[where] = (run.counts.notUnderstoodBy[where] ?? 0) + 1;
  keepSample(run, source, where, text);
}

/**
 * Keeps the first `sampleLimit` samples by input and line. They mostly come in that order, but
 * the warnings about a batch's lines come before the batch is parsed.
 */
function keepSample(run: Run, source: Source, where: string, text: string): void {
  const samples = run.counts.unparsed;
  const limit = run.sampleLimit;
  const last = samples[samples.length - 1];
  if (limit === 0 || (samples.length >= limit && !isBefore(run, source, last?.source))) return;

  let index = samples.length;
  while (index > 0 && isBefore(run, source, samples[index - 1]?.source)) index -= 1;
  // Shown as it is, its control characters as escapes: stripped, a damaged line looks sound.
  samples.splice(index, 0, { source, where, text: visibleControls(text.slice(0, 500)) });
  if (samples.length > limit) samples.pop();
}

function isBefore(run: Run, a: Source, b: Source | undefined): boolean {
  if (b === undefined) return false;
  const inputs = run.counts.inputs;
  const order = inputs.indexOf(a.file) - inputs.indexOf(b.file);
  return order < 0 || (order === 0 && a.line < b.line);
}

function envelopeProblem(line: string): string {
  return line.charCodeAt(0) === 123 && line.includes('"MESSAGE":null') ? LEFT_OUT : 'envelope';
}

/** The program name without instance or service: `postfix-out/smtp` → `postfix-out`. It
 *  becomes a key of the counts that every report prints, so control characters show escaped. */
function programName(program: string): string {
  const slash = program.indexOf('/');
  return displayName(slash === -1 ? program : program.slice(0, slash));
}

/** The daemon is the last path component of the tag: `postfix/submission/smtpd` → `smtpd`. */
function daemonName(program: string): string {
  const slash = program.lastIndexOf('/');
  return displayName(slash === -1 ? program : program.slice(slash + 1));
}
