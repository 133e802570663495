import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  localRoles,
  parseResolverOption,
  parseServerAddress,
  readResolvConf,
  readRootHints,
} from '../dns/resolv-conf.js';
import type { LocalRolesOptions, ResolvConf } from '../dns/resolv-conf.js';
import { BUILTIN_ROOTS } from '../dns/resolv-conf.js';
import type { DnsCheckOptions, DnsRoles, ServerAddress } from '../dns/types.js';
import { MxtriageError } from '../errors.js';
import { DEFAULT_LOG, DEFAULTS } from './defaults.js';
import { writeError } from './streams.js';
import { VERDICT_KINDS, type VerdictKind } from '../model.js';
import type { AnalyseOptions } from '../pipeline/analyse.js';
import {
  parseCount,
  parseDuration,
  parsePositiveCount,
  parseTimeOption,
  parseTimeZone,
  parseWindow,
  parseYear,
} from './parse-options.js';

const DEFAULT_TIMEOUT_MS = 2000;

/** Options as commander hands them over: strings, booleans and string lists. */
export type RawOptions = Record<string, unknown>;

/**
 * The files to read: those given, each file once (a second name for a file already given, such
 * as `./mail.log` beside `mail.log`, is dropped with a warning: its lines would count twice),
 * or the default log with a hint when it is missing.
 */
export function resolveFiles(
  files: readonly string[],
  warn: (message: string) => void = () => undefined,
): string[] {
  if (files.length > 0) {
    for (const file of files) {
      const command = lookalikeCommand(file);
      if (command !== undefined) {
        warn(`${file} is no file here and looks like a command: did you mean mxtriage ${command}?`);
      }
    }

    return withoutRepeats(files, warn);
  }

  if (!existsSync(DEFAULT_LOG)) {
    throw new MxtriageError(
      'INPUT_MISSING',
      `No such file: ${DEFAULT_LOG}: give the log to read as an argument. ` +
        'Red Hat-style systems log to /var/log/maillog; on journald-only systems try ' +
        "'journalctl --all -o json | mxtriage -' (other programs' lines are counted apart)",
    );
  }

  return [DEFAULT_LOG];
}

const COMMANDS = ['check', 'events', 'summary'] as const;

/** The command a missing file's name is one or two typing slips from (`chek`, `sumary`). */
function lookalikeCommand(file: string): string | undefined {
  if (file.includes('/') || file.includes('.') || existsSync(file)) return undefined;
  const name = file.toLowerCase();
  return COMMANDS.find((command) => name !== command && editDistance(name, command) <= 2);
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1));
    }

    previous = current;
  }

  return previous[b.length] ?? 0;
}

/** A warning about the inputs given, on stderr before reading starts. */
export function warnInput(message: string): void {
  writeError(`mxtriage: warning: ${message}`);
}

function withoutRepeats(files: readonly string[], warn: (message: string) => void): string[] {
  const seen = new Map<string, string>();
  const kept: string[] = [];
  for (const file of files) {
    const identity = fileIdentity(file) ?? `name ${file}`;
    const first = seen.get(identity);
    if (first === undefined) {
      seen.set(identity, file);
      kept.push(file);
    } else {
      warn(`${file} is the same input as ${first}: read once`);
    }
  }

  return kept;
}

/** Device and inode of an existing file; undefined when it cannot be looked at. */
function fileIdentity(path: string): string | undefined {
  if (path === '-') return 'stdin';
  try {
    const stats = statSync(path);
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * `-o` or `--state` naming one of the logs read (directly or through a link) would replace the
 * log with the report: a usage error before anything is read.
 */
export function refuseOverwritingInputs(
  paths: readonly string[],
  outputs: readonly { readonly flag: string; readonly path: string | undefined }[],
): void {
  const inputs = new Map<string, string>();
  for (const path of paths) {
    const identity = fileIdentity(path);
    if (identity !== undefined && identity !== 'stdin') inputs.set(identity, path);
  }

  for (const { flag, path } of outputs) {
    if (path === undefined || path === '-') continue;
    const identity = fileIdentity(path);
    const input = identity === undefined ? undefined : inputs.get(identity);
    if (input !== undefined) {
      throw new MxtriageError(
        'USAGE',
        `Invalid ${flag} ${path}: it is the log ${input} being read, which it would replace`,
      );
    }
  }
}

/** Two outputs naming one file (`-o state.json --state state.json`): one would be lost. */
export function refuseSameFile(
  first: { readonly flag: string; readonly path: string | undefined },
  second: { readonly flag: string; readonly path: string | undefined },
): void {
  if (first.path === undefined || second.path === undefined || first.path === '-') return;
  const same =
    resolve(first.path) === resolve(second.path) ||
    (fileIdentity(first.path) ?? 'first') === (fileIdentity(second.path) ?? 'second');
  if (same) {
    throw new MxtriageError(
      'USAGE',
      `Invalid ${first.flag} ${first.path}: it is the file ${second.flag} names; give another`,
    );
  }
}

/** TZ values that name UTC itself, which the runtime rightly reads as UTC. */
const UTC_NAMES = /^:?(?:Etc\/)?(?:UTC|UCT|GMT|Zulu|Universal)0?$/i;

/**
 * A TZ that the C library reads but Node.js does not (a POSIX rule such as
 * `CET-1CEST,M3.5.0,M10.5.0/3`, or a name its time zone data lacks) leaves every time in UTC,
 * while syslog on the same host writes local time: say so, before hours come out wrong.
 */
export function unknownSystemZone(tz: string | undefined): string | undefined {
  if (tz === undefined || tz.trim() === '' || UTC_NAMES.test(tz.trim())) return undefined;
  const resolved = Intl.DateTimeFormat().resolvedOptions().timeZone as string | undefined;
  if (resolved !== undefined && resolved !== 'UTC' && resolved !== 'Etc/UTC') return undefined;
  return (
    `TZ=${tz} is no time zone Node.js knows, so local times are read and shown as UTC: ` +
    'give --timezone with an IANA name such as Europe/Berlin'
  );
}

/**
 * The system's zone by the name TZ gives it, when TZ names the zone Node.js runs in: the
 * runtime reports its canonical name (`Asia/Calcutta` for `TZ=Asia/Kolkata`), and reports
 * should say the name the user chose. Undefined otherwise: the system's zone as it is.
 */
export function systemZoneAsNamed(tz: string | undefined): string | undefined {
  const name = tz?.trim().replace(/^:/, '');
  if (name === undefined || name === '' || !name.includes('/')) return undefined;

  try {
    const named = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
    return named === Intl.DateTimeFormat().resolvedOptions().timeZone ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Reading and grouping settings shared by the main job, `events` and `summary`. */
export function readSettings(
  options: RawOptions,
  now: number,
): Omit<AnalyseOptions, 'dns'> & { readonly timeZone?: string } {
  const timeZone = text(options, 'timezone');
  const zone =
    timeZone === undefined ? systemZoneAsNamed(process.env['TZ']) : parseTimeZone(timeZone);
  const unknownZone = zone === undefined ? unknownSystemZone(process.env['TZ']) : undefined;
  if (unknownZone !== undefined) warnInput(unknownZone);
  const since = text(options, 'since');
  const until = text(options, 'until');
  const year = text(options, 'year');

  const read = (value: string | undefined, flag: string) =>
    value === undefined ? undefined : parseTimeOption(value, { flag, now, timeZone: zone });
  const sinceTime = read(since, '--since');
  const untilTime = read(until, '--until');
  if (sinceTime !== undefined && untilTime !== undefined && sinceTime >= untilTime) {
    throw new MxtriageError(
      'USAGE',
      `Invalid period: --since ${since} is not before --until ${until}`,
    );
  }

  return {
    windowMs: parseWindow(text(options, 'window') ?? DEFAULTS.window),
    envelope: {
      ...(year === undefined ? {} : { year: parseYear(year) }),
      ...(zone === undefined ? {} : { timeZone: zone }),
    },
    ...(sinceTime === undefined ? {} : { since: sinceTime }),
    ...(untilTime === undefined ? {} : { until: untilTime }),
    unparsedSamples: parseCount(
      text(options, 'showUnparsed') ?? DEFAULTS.showUnparsed,
      '--show-unparsed',
    ),
    stdin: process.stdin,
    ...(zone === undefined ? {} : { timeZone: zone }),
  };
}

/** DNS roles and limits, or undefined with `--offline`. */
export async function dnsSettings(
  options: RawOptions,
): Promise<{ roles: DnsRoles; check: DnsCheckOptions } | undefined> {
  if (options['offline'] === true) {
    await checkDnsOptionsOffline(options);
    return undefined;
  }

  const local = list(options, 'localResolver');
  const localPart = await localRoles(localRolesOptions(options));

  // resolv.conf's `options timeout:`/`attempts:` apply to our resolver's own servers only.
  const system = local.length === 0 ? await readResolvConf() : undefined;

  return {
    roles: {
      ...localPart,
      reference: parseResolverOption(list(options, 'resolver')),
      roots: await roots(options),
    },
    check: checkOptions(options, system),
  };
}

async function roots(options: RawOptions): Promise<ServerAddress[]> {
  const given = list(options, 'root').map((value) => parseServerAddress(value, '--root'));
  const hints = text(options, 'rootHints');
  const fromHints = hints === undefined ? [] : await readRootHints(hints, { flag: '--root-hints' });
  const all = [...given, ...fromHints];
  return all.length === 0 ? [...BUILTIN_ROOTS] : all;
}

function localRolesOptions(options: RawOptions): LocalRolesOptions {
  const local = list(options, 'localResolver');
  const queueDirectory = text(options, 'postfixQueueDir');

  return {
    ...(local.length === 0 ? {} : { localResolvers: local }),
    ...(queueDirectory === undefined ? {} : { postfixQueueDirectory: queueDirectory }),
  };
}

/** `--timeout`, else resolv.conf's `options timeout:`, else 2 s; attempts from resolv.conf. */
function checkOptions(options: RawOptions, system: ResolvConf | undefined): DnsCheckOptions {
  const given = text(options, 'timeout');
  const budget = text(options, 'budget') ?? DEFAULTS.budget;
  return {
    timeoutMs:
      given === undefined
        ? (system?.timeoutMs ?? DEFAULT_TIMEOUT_MS)
        : parseDuration(given, '--timeout'),
    ...(system?.attempts === undefined ? {} : { attempts: system.attempts }),
    concurrency: parsePositiveCount(
      text(options, 'concurrency') ?? DEFAULTS.concurrency,
      '--concurrency',
    ),
    // `--budget 0` (or `0s`, `0ms`) is allowed: no time for the re-check, so nothing is asked
    // and every domain is reported not checked.
    budgetMs: parseDuration(budget, '--budget', { allowZero: true }),
  };
}

/**
 * With `--offline` the DNS options are not used, but a wrong value is still a usage error:
 * a cron line that is wrong should fail the day it is written, not the day it goes online.
 * That includes a `--postfix-queue-dir` without a resolv.conf copy (local files only).
 */
async function checkDnsOptionsOffline(options: RawOptions): Promise<void> {
  checkOptions(options, undefined);
  await localRoles(localRolesOptions(options));
  await roots(options);
  parseResolverOption(list(options, 'resolver'));
}

/** `--fail-on KIND,...`: verdict kinds that make the run exit 3. */
export function failOnKinds(options: RawOptions): ReadonlySet<VerdictKind> {
  // Repeated, the lists add up: `--fail-on a --fail-on b` is `--fail-on a,b`.
  const given = list(options, 'failOn');
  if (given.length === 0) return new Set();
  const kinds = given
    .join(',')
    .split(',')
    .map((kind) => kind.trim())
    .filter(Boolean);
  if (kinds.length === 0) {
    throw new MxtriageError(
      'USAGE',
      `Invalid --fail-on value: it names no kind: allowed kinds are ${VERDICT_KINDS.join(', ')}`,
    );
  }

  for (const kind of kinds) {
    if (!(VERDICT_KINDS as readonly string[]).includes(kind)) {
      throw new MxtriageError(
        'USAGE',
        `Invalid --fail-on value: ${kind}: allowed kinds are ${VERDICT_KINDS.join(', ')}`,
      );
    }
  }

  return new Set(kinds as VerdictKind[]);
}

export function text(options: RawOptions, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

function list(options: RawOptions, name: string): string[] {
  const value = options[name];
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}
