import { DNS_CAUSES, type Group, type VerdictKind } from '../model.js';

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
 * A verdict kind `--fail-on` names gives 3, what the user asked to be told, even when an input
 * could not be read (a rotated file gone missing must not hide our resolver failing; the input
 * problem is still on stderr and in the report); else an input that could not be read is a
 * failure (1), even when others were reported. Lines not understood never change the code.
 */
export function exitCodeFor({ inputErrors = 0, kinds = [], failOn }: RunOutcome): ExitCode {
  if (failOn !== undefined && failOn.size > 0) {
    for (const kind of kinds) if (failOn.has(kind)) return EXIT.failOn;
  }

  return inputErrors > 0 ? EXIT.failure : EXIT.ok;
}

/**
 * The verdict kinds of the groups, as `--fail-on` sees them. Groups of a cause that is no DNS
 * failure (connection, remote-reject, expired, ...) are never re-checked: their `not-checked`
 * is no re-check that was due and did not happen (`--offline`, the budget ran out), so it does
 * not count.
 */
export function failOnKindsOf(groups: readonly Group[]): VerdictKind[] {
  return groups.flatMap((group) =>
    group.verdict.kind === 'not-checked' && !DNS_CAUSES.has(group.cause)
      ? []
      : [group.verdict.kind],
  );
}
