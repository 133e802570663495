// The command line's defaults, in one place: commander shows and applies them, and the settings
// fall back on them for callers that pass options without commander.

/** Option values as typed on the command line; the settings parse them like given values. */
export const DEFAULTS = {
  format: 'table',
  window: '1h',
  top: '20',
  showUnparsed: '0',
  concurrency: '16',
  budget: '120s',
} as const;

/** The log read when no file is given. */
export const DEFAULT_LOG = '/var/log/mail.log';
