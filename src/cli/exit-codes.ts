import type { VerdictKind } from '../model.js';

/** Exit codes, as documented in the README. */
export const EXIT = { ok: 0, failure: 1, usage: 2, failOn: 3 } as const;

type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What decides a finished run's exit code. */
interface RunOutcome {
  /** Inputs that could not be read. */
  readonly inputErrors?: number;
  /** The verdict kind of each group or domain reported. */
  readonly kinds?: Iterable<VerdictKind>;
  /** `--fail-on`: kinds that make the run exit 3. */
  readonly failOn?: ReadonlySet<VerdictKind>;
}

/**
 * An input that could not be read is a failure (1), even when others were reported; else a
 * verdict kind `--fail-on` names gives 3. Lines not understood never change the code.
 */
export function exitCodeFor({ inputErrors = 0, kinds = [], failOn }: RunOutcome): ExitCode {
  if (inputErrors > 0) return EXIT.failure;
  if (failOn !== undefined && failOn.size > 0) {
    for (const kind of kinds) if (failOn.has(kind)) return EXIT.failOn;
  }

  return EXIT.ok;
}
