import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { visibleLines } from '../classify/text.js';
import { MxtriageError } from '../errors.js';
import { DEFAULT_LOG, DEFAULTS } from './defaults.js';
import { EXIT } from './exit-codes.js';
import { installPipeGuard, writeError } from './streams.js';

/** Runs the command line and returns the exit code; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  installPipeGuard();
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error);
  }
}

type Action = (first: string[], options: Record<string, unknown>) => Promise<number>;

const FILES_HELP = `logs to read (default ${DEFAULT_LOG}; - reads stdin)`;

/**
 * Each command's module is loaded when it runs: the DNS code and the output libraries cost some
 * 20 MB of memory, which a run that does not use them need not pay.
 */
function buildProgram(setExit: (code: number) => void): Command {
  const run =
    (action: Action) =>
    async (first: string[], options: Record<string, unknown>, command: Command) => {
      setExit(await action(first, withOptionsBefore(command, options)));
    };
  const program = new Command('mxtriage')
    .description(
      'Group mail deferrals and bounces by recipient domain, cause and time window, re-check ' +
        "the failing domains' DNS now, and say whose DNS is at fault.",
    )
    .version(packageVersion())
    .enablePositionalOptions()
    // Commander's own error messages are not written: `commanderUsage` says them in our words.
    // Its other output to stderr may repeat values given, which may hold escape sequences.
    .configureOutput({
      writeErr: (message) => process.stderr.write(visibleLines(message)),
      outputError: () => undefined,
    });

  addReadOptions(addDnsOptions(addReportOptions(program)))
    .argument('[files...]', FILES_HELP)
    .action(run(async (...args) => (await import('./run-main.js')).runMain(...args)));

  const events = addReadOptions(program.command('events'))
    .description('print every parsed delivery event as NDJSON, for other tools')
    .option('--offline', 'accepted for scripts that always pass it; events never query DNS')
    .argument('[files...]', FILES_HELP)
    .action(run(async (...args) => (await import('./run-events.js')).runEvents(...args)));

  const check = addDnsOptions(program.command('check'))
    .description("re-check named domains' DNS now and give each a verdict")
    .argument('<domains...>', 'recipient domains to check')
    .addOption(formatOption(['table', 'ndjson', 'json']))
    .option(
      '--fail-on <kinds>',
      'exit 3 when a domain gets one of these verdict kinds (comma list, repeatable)',
      collect,
    )
    .action(run(async (...args) => (await import('./run-check.js')).runCheck(...args)));

  const summary = addReadOptions(addDnsOptions(addReportOptions(program.command('summary'))))
    .description('a short daily summary for a cron mail (yesterday by default)')
    .argument('[files...]', FILES_HELP)
    .option('--state <file>', 'remember how far each log was read; read only new lines next time')
    .option('--quiet', 'print nothing when there is nothing worth a mail')
    .action(run(async (...args) => (await import('./run-summary.js')).runSummary(...args)));

  for (const command of [program, events, check, summary]) {
    command.exitOverride((error) => {
      throw error.exitCode === 0 ? error : commanderUsage(error, command);
    });
  }

  return program;
}

/**
 * `mxtriage --offline check example.com` puts an option before the command name, where the
 * main job's parser reads it. The command takes it as if it came after its name; an option the
 * command does not have is a usage error, never silently dropped (a dropped `--offline` or
 * `--local-resolver` would send queries where the user said not to).
 */
function withOptionsBefore(
  command: Command,
  options: Record<string, unknown>,
): Record<string, unknown> {
  const parent = command.parent;
  if (parent === null) return options;
  const merged = { ...options };

  for (const option of parent.options) {
    const key = option.attributeName();
    if (parent.getOptionValueSource(key) !== 'cli') continue;
    if (!command.options.some((own) => own.attributeName() === key)) {
      throw new MxtriageError(
        'USAGE',
        `Option ${option.long ?? key} does not apply to 'mxtriage ${command.name()}'`,
      );
    }

    merged[key] = mergeOptionValue(parent.getOptionValue(key), options[key], command, key);
  }

  return merged;
}

/** The command's own value wins; lists given on both sides are joined. */
function mergeOptionValue(before: unknown, after: unknown, command: Command, key: string): unknown {
  if (command.getOptionValueSource(key) !== 'cli') return before;
  if (Array.isArray(before) && Array.isArray(after)) return [...before, ...after];
  return after;
}

function addReadOptions(command: Command): Command {
  return command
    .option(
      '--since <time>',
      'ignore events before: ISO date or time, today, yesterday, now, 2h (ago)',
    )
    .option('--until <time>', 'ignore events from this time on (same forms as --since)')
    .option('--year <year>', 'year of year-less syslog timestamps (default: from the file time)')
    .option('--timezone <zone>', "IANA zone of the logs' local times (default: the system's)")
    .option(
      '--show-unparsed <n>',
      'print up to N lines that were not understood to stderr',
      DEFAULTS.showUnparsed,
    );
}

/** Output formats of the main job and `summary`. */
const REPORT_FORMATS = ['table', 'ndjson', 'json', 'markdown', 'html', 'prometheus'];

function addReportOptions(command: Command): Command {
  return command
    .addOption(formatOption(REPORT_FORMATS))
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout')
    .option('--window <length>', 'group window: 5m, 15m, 1h, 1d', DEFAULTS.window)
    .option('--top <n>', 'rows in the table, worst first (0 for all)', DEFAULTS.top)
    .option(
      '--fail-on <kinds>',
      'exit 3 when a group gets one of these verdict kinds (comma list, repeatable)',
      collect,
    );
}

function addDnsOptions(command: Command): Command {
  return command
    .option('--offline', 'do not re-check DNS (verdicts are not-checked)')
    .option(
      '--local-resolver <addr>',
      "our resolver, ADDR[:PORT] (repeatable; default: /etc/resolv.conf's name servers)",
      collect,
    )
    .option(
      '--resolver <addr>',
      "reference resolver ADDR[:PORT] or 'public' (repeatable; default: none)",
      collect,
    )
    .option(
      '--root <addr>',
      'root server ADDR[:PORT] for the walk (repeatable; default: the built-in root servers)',
      collect,
    )
    .option('--root-hints <file>', 'root hints file (named.root format)')
    .option('--postfix-queue-dir <dir>', "Postfix's queue_directory (for its chroot resolv.conf)")
    .option(
      '--timeout <ms>',
      "time limit per DNS query (e.g. 2000, 2s; default resolv.conf's, or 2s)",
    )
    .option('--concurrency <n>', 'domains checked at once', DEFAULTS.concurrency)
    .option(
      '--budget <duration>',
      'time for the whole DNS re-check (e.g. 60s, 5m)',
      DEFAULTS.budget,
    );
}

/** `--format`: commander lists the choices in the help; a value outside them is refused here,
 *  in the words of every other message. */
function formatOption(choices: readonly string[]): Option {
  return new Option('--format <format>', 'output format')
    .choices(choices)
    .argParser((value: string) => {
      if (choices.includes(value)) return value;
      throw new MxtriageError(
        'USAGE',
        `Invalid --format value: ${value}: allowed are ${choices.join(', ')}`,
      );
    })
    .default(DEFAULTS.format);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * A usage error commander found (an unknown option, a missing value or argument) in the words
 * of every other message: capitalised, no final period, the option named. Commander hands over
 * only its own text, so the option is read back from that; text of any other shape is tidied.
 */
function commanderUsage(error: CommanderError, command: Command): MxtriageError {
  const text = error.message;
  const unknownOption = /unknown option '(.*)'/.exec(text)?.[1];
  const missingValue = /option '(.*)' argument missing/.exec(text)?.[1];
  const missingArgument = /missing required argument '(.*)'/.exec(text)?.[1];
  let message = tidy(text);

  if (error.code === 'commander.unknownOption' && unknownOption !== undefined) {
    message = `Unknown option ${unknownOption}: ${unknownOptionHint(command, unknownOption, text)}`;
  } else if (error.code === 'commander.optionMissingArgument' && missingValue !== undefined) {
    message = missingValueMessage(command, missingValue);
  } else if (error.code === 'commander.missingArgument' && missingArgument !== undefined) {
    const usage = `${commandPath(command)} ${command.usage()}`;
    message = `Missing argument: ${missingArgument}: use ${usage}`;
  }

  return new MxtriageError('USAGE', message, { cause: error });
}

/** The commands that take an option given to another (`--quiet` to the main job is
 *  `summary`'s), else commander's suggestion of a near name, else where to look. */
function unknownOptionHint(command: Command, given: string, text: string): string {
  const owners = commandsWith(command, given.split('=')[0] ?? given);
  if (owners.length > 0) return `it is an option of ${listed(owners)}`;

  const suggestion = /\(Did you mean (.+)\?\)/.exec(text)?.[1];
  return suggestion === undefined
    ? `${helpOf(command)} shows every option`
    : `did you mean ${suggestion}?`;
}

function commandsWith(command: Command, flag: string): string[] {
  let root = command;
  while (root.parent !== null) root = root.parent;
  return [root, ...root.commands]
    .filter((other) => other !== command && other.options.some((option) => option.long === flag))
    .map(commandPath);
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length <= 1
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** `--format` with nothing after it: the allowed values where there is a list of them. */
function missingValueMessage(command: Command, flags: string): string {
  const option = command.options.find((candidate) => candidate.flags === flags);
  const name = option?.long ?? option?.short ?? flags;
  const choices = option?.argChoices;
  const hint =
    choices === undefined
      ? `${helpOf(command)} says what it takes`
      : `allowed are ${choices.join(', ')}`;
  return `Missing value for ${name}: ${hint}`;
}

/** `error: too many arguments.` becomes `Too many arguments`. */
function tidy(text: string): string {
  const message = text
    .replace(/^error: /, '')
    .replace(/\.$/, '')
    .split('\n')
    .join(': ');
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}`;
}

function commandPath(command: Command): string {
  return command.parent === null ? command.name() : `${command.parent.name()} ${command.name()}`;
}

function helpOf(command: Command): string {
  return `${commandPath(command)} --help`;
}

function reportError(error: unknown): number {
  // Help and version; every other commander error became an MxtriageError (`commanderUsage`).
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;

  if (error instanceof MxtriageError) {
    writeError(`mxtriage: ${error.message}`);
    return error.code === 'USAGE' ? EXIT.usage : EXIT.failure;
  }

  const message = error instanceof Error ? error.message : String(error);
  writeError(`mxtriage: Unexpected failure: ${message}`);
  if (process.env['MXTRIAGE_DEBUG'] && error instanceof Error) writeError(error.stack ?? '');
  return EXIT.failure;
}

/** The version in package.json, two folders up from this file in src/ and in dist/ alike. */
function packageVersion(): string {
  const manifest = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
