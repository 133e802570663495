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
import { formatSummary, isWorthAMail, periodTotals, type PeriodTotals } from '../output/summary.js';
import { MxtriageError } from '../errors.js';
import type { CarriedRecipient } from '../group/outcomes.js';
import { CAUSES } from '../model.js';
import { analyseLogs } from '../pipeline/analyse.js';
import type { ReadOptions } from '../pipeline/read-events.js';
import { createHeapGuard } from './heap-guard.js';
import { DAY_MS, parseCount, startOfLocalDay } from './parse-options.js';
import { reportDiagnostics, render } from './run-main.js';
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
import { emit } from './streams.js';

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
 * with `--state` it covers every line written since the last run, whatever the dates.
 */
export async function runSummary(files: string[], options: RawOptions): Promise<number> {
  const now = Date.now();
  const statePath = text(options, 'state');
  const paths = resolveFiles(files, warnInput);
  refuseOverwritingInputs(paths, [
    { flag: '-o', path: text(options, 'output') },
    { flag: '--state', path: statePath },
  ]);
  refuseSameFile(
    { flag: '-o', path: text(options, 'output') },
    { flag: '--state', path: statePath },
  );
  if (statePath !== undefined && paths.includes('-')) {
    throw new MxtriageError(
      'USAGE',
      'Invalid --state with -: a state file follows log files, and stdin has no place to ' +
        'resume from; give the files, or use --since with stdin',
    );
  }

  const settings = readSettings(options, now);
  if (statePath !== undefined && settings.until !== undefined) {
    throw new MxtriageError(
      'USAGE',
      'Invalid --until with --state: the state would record the lines after it as read, and ' +
        'no later run would report them; leave out --until',
    );
  }

  const failOn = failOnKinds(options);
  const top = parseCount(text(options, 'top') ?? '20', '--top');
  const dns = await dnsSettings(options);
  if (statePath !== undefined) await checkStateWritable(statePath);
  const state =
    statePath === undefined ? undefined : ((await loadState(statePath)) as SummaryState);
  const plan = statePath === undefined ? undefined : await planResume(paths, state);
  const ends = new Map<string, ReadPosition>();
  const guardHeap = createHeapGuard();

  const result = await analyseLogs(plan?.paths ?? paths, {
    ...settings,
    ...defaultPeriod(settings, statePath !== undefined, now),
    ...(plan === undefined ? {} : resumeOptions(plan)),
    ...(statePath === undefined
      ? {}
      : { carried: carriedOf(state, statePath), keepOpen: MAX_CARRIED }),
    ...(dns === undefined ? {} : { dns }),
    onBatch(batch) {
      guardHeap.check();
      if (batch.endOffset === undefined) return;
      const lastLine = batch.firstLine - 1 + batch.lines.length;
      ends.set(batch.input.name, readPosition(plan, batch.input.name, batch.endOffset, lastLine));
    },
  });

  const analysis = result.analysis;
  const format = text(options, 'format') ?? 'table';
  const quiet = options['quiet'] === true && !isWorthAMail(analysis);
  if (!quiet) {
    const rendered =
      format === 'table'
        ? formatSummary(analysis, {
            top,
            ...(state?.summary === undefined ? {} : { previous: state.summary }),
            ...(settings.timeZone === undefined ? {} : { timeZone: settings.timeZone }),
          })
        : await render(analysis, format, { top });
    await emit(rendered, text(options, 'output'));
  }

  reportDiagnostics(result.counts);
  if (statePath !== undefined && plan !== undefined) {
    const kept = { summary: periodTotals(analysis), open: result.stillOpen ?? [] };
    await saveSummaryState(statePath, plan, ends, kept);
  }

  if (result.counts.inputErrors.length > 0) return 1;
  return analysis.groups.some((group) => failOn.has(group.verdict.kind)) ? 3 : 0;
}

type ResumeOptions = Pick<ReadOptions, 'startOffsets' | 'startLines' | 'holdUnfinishedLine'>;

/** Reading resumed where the last run ended, line numbers included; a live log's unfinished
 *  last line left for the next run. */
function resumeOptions(plan: ResumePlan): ResumeOptions {
  return {
    startOffsets: plan.startOffsets,
    startLines: plan.startLines,
    holdUnfinishedLine: true,
  };
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
  path: string,
  plan: ResumePlan,
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
