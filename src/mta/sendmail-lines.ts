// Code tables for the Sendmail parser: programs, notices and lines that carry context only.

/** The mail submission programs (MSP, submit.cf): `sendmail` run by a user or a script and the
 *  client-queue runner Debian names `sm-msp-queue`. They hand messages to the local daemon. */
export const SUBMISSION_PROGRAMS: ReadonlySet<string> = new Set(['sendmail', 'sm-msp-queue']);

/** Kinds of notice a message gets when Sendmail creates a bounce or a warning for it
 *  (`QID: NEWQID: KIND: REASON`). */
export const NOTICE_KINDS: readonly string[] = [
  'DSN: ',
  'sender notify: ',
  'return to sender: ',
  'postmaster notify: ',
];

/** The reason Sendmail gives when a message times out in the queue (`Timeout.queuereturn`). */
export const EXPIRY_REASON = 'Cannot send message for ';

/** Lines with a queue id, besides `to=`, `from=` and notices, that carry context only. */
export const QUEUE_CONTEXT_PREFIXES: readonly string[] = [
  // Inbound refusals of one address: `<nobody@example.com>... User unknown`.
  '<',
  'ruleset=',
  'Milter',
  'milter',
  'lost input channel',
  'SYSERR',
  'done; delay',
  'clone ',
  'collect: ',
  'Authentication-Warning',
  'discarded',
  'timeout waiting',
  'headers too large',
  'Too many recipients',
  'Syntax error',
  'low on space',
  'forward ',
  'alias ',
  'arg1=',
  'Losing ',
  'quarantine',
  'Warning: ',
  'setsender',
  'STARTTLS',
  'AUTH',
  'Saved message',
  'no valid recipients',
  'SMTP outgoing connect',
];

/** Lines without a queue id: daemon start, alias rebuilds, TLS and AUTH notes, connections. */
export const CONTEXT_PREFIXES: readonly string[] = [
  'AUTH: ',
  'bogus queue file',
  'rejecting commands from',
  'starting daemon',
  'stopping daemon',
  'restarting ',
  'alias database ',
  '/',
  'unable to ',
  'STARTTLS',
  'ruleset=',
  'AUTH=',
  'NOQUEUE: ',
  'gethostbyaddr',
  'My unqualified host name',
  'SYSERR',
  'rejecting connections',
  'accepting connections',
  'runqueue',
  'grew WorkList',
  'Authentication-Warning',
  'tls_',
  'timeout waiting',
  'lost input channel',
  'error: ',
  'Milter',
  'milter',
  'Warning: ',
  'collect: ',
  'possible SMTP attack',
  'daemon ',
  'sm-msp-queue',
  // A client named by its address alone: `[192.0.2.1] did not issue MAIL/EXPN/VRFY/ETRN ...`.
  '[IPv6:',
  '[0',
  '[1',
  '[2',
  '[3',
  '[4',
  '[5',
  '[6',
  '[7',
  '[8',
  '[9',
];

/** Context lines that start with a client's host name: `h.example.net [192.0.2.1] did not issue
 *  MAIL/EXPN/VRFY/ETRN during connection to MTA-v4`. */
export const CONTEXT_PHRASES: readonly string[] = [
  ' did not issue MAIL/EXPN/VRFY/ETRN',
  ' (may be forged)',
  ']: possible SMTP attack',
];
