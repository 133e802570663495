/** Stable codes for the errors the command line turns into messages and exit codes. */
export type ErrorCode =
  | 'USAGE'
  | 'INPUT_MISSING'
  | 'INPUT_UNREADABLE'
  | 'INPUT_DIRECTORY'
  | 'INPUT_BINARY'
  | 'INPUT_CORRUPT'
  | 'DNS'
  | 'STATE'
  | 'OUTPUT';

/** The one error class of mxtriage: a stable code, a message for people, the original cause. */
export class MxtriageError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MxtriageError';
    this.code = code;
  }
}
