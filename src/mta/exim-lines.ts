// Code tables for the Exim parser: the flags of a message line and lines that carry context
// only. Flags and message shapes: the Exim specification, chapter "Log files".

/** What a two-character flag after the message id means. */
export type EximFlag = 'arrival' | 'sent' | 'deferred' | 'failed' | 'suppressed';

export const FLAGS: ReadonlyMap<string, EximFlag> = new Map<string, EximFlag>([
  ['<=', 'arrival'],
  // Arrival of a message accepted but answered with a rejection (`fakereject`).
  ['(=', 'arrival'],
  ['=>', 'sent'],
  ['->', 'sent'],
  // Cutthrough delivery: the message went straight on during reception.
  ['>>', 'sent'],
  ['==', 'deferred'],
  ['**', 'failed'],
  // Delivery suppressed by `-N`: nothing was delivered or refused.
  ['*>', 'suppressed'],
]);

/** Texts of a `**` line that mean the retry rules gave up: the message expired. */
export const EXPIRY_TEXTS: readonly string[] = [
  'retry timeout exceeded',
  'have been failing for a long time',
  // The same cut-off in the wording of older Exim versions (smtp.c).
  'retry time not reached for any host after a long failure period',
];

/** Lines after a message id that carry context only. `H=... Connection refused` and `SMTP
 *  timeout` lines precede the recipient's own `==` line, which repeats the outcome. */
export const MESSAGE_CONTEXT_PREFIXES: readonly string[] = [
  'H=',
  'TLS session failure',
  'DANE attempt failed',
  'DANE error: ',
  'no IP address found for host',
  'no host name found for',
  'Spool file ',
  'Frozen',
  'Message is frozen',
  'Unfrozen',
  'SMTP ',
  'Failed to connect',
  'Remote host closed',
  'TLS error',
  'removed by ',
  'cancelled by ',
  'edited by ',
  'Warning: ',
  'DKIM: ',
  'SA: ',
  'no immediate delivery',
  'Sender identification',
  'error ignored',
  'Error while reading',
  'lowest numbered MX record points to local host',
  'remote host address is the local host',
  'Spool read error',
  'Format error',
  'malware ',
  'retry time not reached',
  'spam acceptance',
  'cutthrough',
];

/** An SMTP AUTH failure of a client, named by the authenticator (`dovecot_login`, `plain`). */
export const AUTHENTICATOR_FAILED = /^[\w-]+ authenticator failed for /;

/** Lines without a message id: daemon, queue runners, SMTP sessions, inbound rejections. */
export const CONTEXT_PREFIXES: readonly string[] = [
  'no MAIL in SMTP connection from',
  'Start queue run',
  'End queue run',
  'SMTP connection from ',
  'H=',
  'SMTP ',
  'exim ',
  'no host name found ',
  'no IP address found ',
  'TLS error ',
  'unexpected disconnection ',
  'Connection from ',
  'Connection refused',
  'connection count',
  'Received ',
  'pid ',
  'daemon ',
  'Warning: ',
  'LOG: ',
  'DKIM: ',
  'rejected ',
  'U=',
  'cwd=',
  'sender verify ',
  'Failed to ',
  'failed to ',
  'ignoring ',
  'attempt to ',
  'Spool file ',
  'Local ',
  'unqualified ',
  'lookup of ',
  'Message ',
];
