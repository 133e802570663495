import {
  checkpointRun,
  checkStateWritable,
  loadState,
  planResume,
  readPosition,
  saveState,
  type ReadPosition,
  type ReadState,
  type ResumePlan,
} from '../input/state.js';
import { lockState } from '../input/state-lock.js';
import { formatSummary, isWorthAMail, periodTotals, type PeriodTotals } from '../output/summary.js';
import { MxtriageError } from '../errors.js';
import type { CarriedRecipient } from '../group/outcomes.js';
import type { LineBatch } from '../input/read-inputs.js';
import { CAUSES, STATUSES, type Analysis } from '../model.js';
import { analyseLogs, type AnalyseOptions } from '../pipeline/analyse.js';
import { DEFAULTS } from './defaults.js';
import { exitCodeFor, failOnKindsOf } from './exit-codes.js';
import { createHeapGuard } from './heap-guard.js';
import { DAY_MS, parseCount, startOfLocalDay } from './parse-options.js';
import { render, reportDiagnostics, type RenderOptions } from './run-main.js';
import {
  dnsSettings,
  failOnKinds,
  readSettings,
  refuseOverwritingInputs,
  refuseSameFile,
  resolveFiles,
  text,
  warnInput,
} from './settings.js';
import type { RawOptions } from './settings.js';
import { checkOutputPath, checkStatePath, emit } from './streams.js';

/**
 * The state file holds the read checkpoints, the totals of the last summary, and the deferred
 * recipients whose outcome was not yet in the log, so that a delivery in a later run is
 * counted as delivered later rather than lost between runs.
 */
type SummaryState = ReadState & {
  readonly summary?: PeriodTotals;
  readonly open?: readonly CarriedRecipient[];
};

/** Open recipients kept between runs; beyond this many the oldest are let go (a queue that
 *  large is itself the news, and the state file stays a few MB). */
const MAX_CARRIED = 20_000;

/**
 * `mxtriage summary`: a short report for a cron mail. Without `--state` it covers yesterday;
 * with `--state` it covers every line written since the last run, whatever the dates, and
 * holds `STATE.lock` for the whole run, so that overlapping runs never report a line twice.
 */
export async function runSummary(files: string[], options: RawOptions): Promise<number> {
  const statePath = checkStatePath(text(options, 'state'));
  if (statePath === undefined) return summarise(files, options);

  await checkStateWritable(statePath);
  const lock = await lockState(statePath);
  try {
    return await summarise(files, options);
  } finally {
    await lock.release();
  }
}

async function summarise(files: string[], options: RawOptions): Promise<number> {
  const now = Date.now();
  const statePath = text(options, 'state');
  const paths = resolveFiles(files, warnInput);
  const settings = checkSummaryOptions(paths, options, now);
  const failOn = failOnKinds(options);
  const top = parseCount(text(options, 'top') ?? DEFAULTS.top, '--top');
  const dns = await dnsSettings(options);
  const resume = statePath === undefined ? undefined : await loadResume(statePath, paths);
  const ends = new Map<string, ReadPosition>();
  const guardHeap = createHeapGuard();

  const { analysis, counts, stillOpen } = await analyseLogs(resume?.plan.paths ?? paths, {
    ...settings,
    ...defaultPeriod(settings, resume !== undefined, now),
    ...(resume === undefined ? {} : resumeOptions(resume)),
    ...(dns === undefined ? {} : { dns }),
    onBatch(batch) {
      guardHeap.check();
      noteReadEnd(ends, resume?.plan, batch);
    },
  });

  // `--quiet` keeps a terminal (and cron's mail) silent; a file named by `-o` is the product
  // (a Prometheus textfile, a report) and is written every run.
  const output = text(options, 'output');
  const isFile = output !== undefined && output !== '-';
  if (options['quiet'] !== true || isFile || isWorthAMail(analysis)) {
    const view = {
      top,
      ...(resume?.previous === undefined ? {} : { previous: resume.previous }),
      ...(settings.timeZone === undefined ? {} : { timeZone: settings.timeZone }),
    };
    const format = text(options, 'format') ?? DEFAULTS.format;
    await emit(await renderSummary(analysis, format, view), output);
  }

  reportDiagnostics(counts);
  if (resume !== undefined) {
    await saveSummaryState(resume, ends, {
      summary: periodTotals(analysis),
      open: stillOpen ?? [],
    });
  }

  const kinds = failOnKindsOf(analysis.groups);
  return exitCodeFor({ inputErrors: counts.inputErrors.length, kinds, failOn });
}

/**
 * The reading settings, after the usage errors only `summary` has: an output that would
 * replace a log or the state file, and a `--state` that could not resume where it says.
 */
function checkSummaryOptions(
  paths: readonly string[],
  options: RawOptions,
  now: number,
): ReturnType<typeof readSettings> {
  const output = { flag: '-o', path: checkOutputPath(text(options, 'output')) };
  const state = { flag: '--state', path: text(options, 'state') };
  refuseOverwritingInputs(paths, [output, state]);
  refuseSameFile(output, state);
  const lock = state.path === undefined ? undefined : `${state.path}.lock`;
  refuseSameFile(output, { flag: "--state's lock", path: lock });
  if (state.path !== undefined && paths.includes('-')) {
    throw new MxtriageError(
      'USAGE',
      'Invalid --state with -: a state file follows log files, and stdin has no place to ' +
        'resume from; give the files, or use --since with stdin',
    );
  }

  const settings = readSettings(options, now);
  if (state.path !== undefined && settings.until !== undefined) {
    throw new MxtriageError(
      'USAGE',
      'Invalid --until with --state: the state would record the lines after it as read, and ' +
        'no later run would report them; leave out --until',
    );
  }

  return settings;
}

/** Where the last run left off, from the `--state` file. */
interface Resume {
  readonly path: string;
  readonly plan: ResumePlan;
  /** The totals of the last summary, to compare with. */
  readonly previous?: PeriodTotals;
  readonly carried: readonly CarriedRecipient[];
}

/** Fails before reading when the state could not be saved after it. */
async function loadResume(path: string, paths: readonly string[]): Promise<Resume> {
  await checkStateWritable(path);
  const state = (await loadState(path)) as SummaryState | undefined;
  const plan = await planResume([...paths], state);

  return {
    path,
    plan,
    ...(state?.summary === undefined ? {} : { previous: previousOf(state.summary, path) }),
    carried: carriedOf(state, path),
  };
}

type ResumeOptions = Pick<
  AnalyseOptions,
  'startOffsets' | 'startLines' | 'holdUnfinishedLine' | 'carried' | 'keepOpen' | 'unchanged'
>;

/** Reading resumed where the last run ended, line numbers included; a live log's unfinished
 *  last line left for the next run; the recipients it left open followed on. */
function resumeOptions({ plan, carried }: Resume): ResumeOptions {
  return {
    unchanged: plan.skipped,
    startOffsets: plan.startOffsets,
    startLines: plan.startLines,
    holdUnfinishedLine: true,
    carried,
    keepOpen: MAX_CARRIED,
  };
}

/** Where reading of the batch's input stands after it, for the state saved at the end. */
function noteReadEnd(
  ends: Map<string, ReadPosition>,
  plan: ResumePlan | undefined,
  batch: LineBatch,
): void {
  if (batch.endOffset === undefined) return;
  const lastLine = batch.firstLine - 1 + batch.lines.length;
  const name = batch.input.name;
  ends.set(name, readPosition(plan, name, { offset: batch.endOffset, lastLine }));
}

/** The cron mail's own text for `table`; any other format as the main job writes it. */
async function renderSummary(
  analysis: Analysis,
  format: string,
  view: RenderOptions & { readonly previous?: PeriodTotals },
): Promise<string> {
  if (format === 'table') return formatSummary(analysis, view);
  const { previous: _previous, ...options } = view;
  return render(analysis, format, options);
}

/** Yesterday, unless `--since`/`--until` or `--state` say otherwise. */
function defaultPeriod(
  settings: { readonly since?: number; readonly until?: number; readonly timeZone?: string },
  hasState: boolean,
  now: number,
): { since?: number; until?: number } {
  if (hasState || settings.since !== undefined || settings.until !== undefined) return {};
  const today = startOfLocalDay(now, settings.timeZone);
  return { since: startOfLocalDay(today - DAY_MS / 2, settings.timeZone), until: today };
}

/** Saved only after the report was written: a run that fails is read again next time. */
async function saveSummaryState(
  { path, plan }: Resume,
  ends: ReadonlyMap<string, ReadPosition>,
  kept: Pick<SummaryState, 'summary' | 'open'>,
): Promise<void> {
  const checkpoints = await checkpointRun(plan, ends);
  await saveState(path, { ...checkpoints, ...kept } as SummaryState);
}

/** The open recipients of the last run, each checked: a state file is only ever ours, so one
 *  that is not as written is corrupt, and that is said rather than guessed around. */
function carriedOf(state: SummaryState | undefined, path: string): CarriedRecipient[] {
  const open: unknown = state?.open;
  if (open === undefined) return [];
  if (!Array.isArray(open) || !open.every(isCarried)) {
    throw new MxtriageError(
      'STATE',
      `Corrupt state file ${path}: "open" is not a list of recipients`,
    );
  }

  return open;
}

/** The last run's totals, checked as the open recipients are. */
function previousOf(summary: unknown, path: string): PeriodTotals {
  if (!isPeriodTotals(summary)) {
    throw new MxtriageError('STATE', `Corrupt state file ${path}: "summary" is not run totals`);
  }

  return summary;
}

function isPeriodTotals(value: unknown): value is PeriodTotals {
  if (typeof value !== 'object' || value === null) return false;
  const totals = value as Record<string, unknown>;
  const statuses = totals['statuses'] as Record<string, unknown> | null | undefined;
  const byDomain = totals['byDomain'];
  const isTime = (time: unknown) => time === undefined || Number.isSafeInteger(time);
  return (
    isCount(totals['groups']) &&
    typeof statuses === 'object' &&
    statuses !== null &&
    STATUSES.every((status) => isCount(statuses[status])) &&
    typeof byDomain === 'object' &&
    byDomain !== null &&
    Object.values(byDomain).every(isCount) &&
    isTime(totals['periodStart']) &&
    isTime(totals['periodEnd'])
  );
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isCarried(value: unknown): value is CarriedRecipient {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  const texts = ['host', 'queueId', 'recipient', 'domain'].every(
    (key) => typeof entry[key] === 'string',
  );
  return (
    texts &&
    Number.isFinite(entry['firstDeferred']) &&
    Number.isInteger(entry['attempts']) &&
    typeof entry['cause'] === 'string' &&
    (CAUSES as readonly string[]).includes(entry['cause'])
  );
}
