// Wording both dialects share: remote servers' replies and the ids inside them.

import { domainToASCII } from 'node:url';

import { type Domain, type MailHost, OUR_DOMAIN } from './domains.js';
import type { Random } from './random.js';
import type { Message } from './traffic.js';

/** A large provider's multi-line 421; Postfix joins the lines with spaces, Exim with `\n`. */
export const RATE_LIMIT_LINES: readonly string[] = [
  '421-4.7.0 [192.0.2.1      15] Our system has detected an unusual rate of',
  '421-4.7.0 unsolicited mail originating from your IP address. To protect our',
  '421-4.7.0 users from spam, mail sent from your IP address has been temporarily',
  '421 4.7.0 rate limited. - gsmtp',
];

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The 250 reply a domain's server gives, worded the way its software words it. */
export function acceptReply(
  message: Message,
  domain: Domain,
  host: MailHost,
  time: number,
  random: Random,
): string {
  switch (domain.acceptStyle) {
    case 'gsmtp':
      return `250 2.0.0 OK  ${Math.floor(time / 1000)} ${googleToken(random)} - gsmtp`;
    case 'exchange':
      return (
        `250 2.6.0 <${messageIdFor(message)}> [InternalId=${random.between(1e9, 9e9)}, ` +
        `Hostname=${exchangeHost(host)}] Queued mail for delivery`
      );
    case 'exim':
      return `250 OK id=1${token(random, 5)}-${token(random, 6)}-${token(random, 2)}`;
    case 'postfix':
      return `250 2.0.0 Ok: queued as ${token(random, 11).toUpperCase()}`;
  }
}

/** The Message-ID a client gave the message (stable for the queue id). */
export function messageIdFor(message: Message): string {
  const at = message.sender.indexOf('@');
  const domain = at < 0 ? OUR_DOMAIN : domainToASCII(message.sender.slice(at + 1));

  return `${hash(message.queueId).toString(16)}.${message.queueId.toLowerCase()}@${domain}`;
}

/** Random letters and digits, as in queue ids and server tokens. */
export function token(random: Random, length: number): string {
  let text = '';

  for (let index = 0; index < length; index += 1) {
    text += ALPHABET.charAt(random.below(ALPHABET.length));
  }

  return text;
}

/** FNV-1a: a stable number for a text. */
export function hash(text: string): number {
  let value = 2166136261;

  for (let index = 0; index < text.length; index += 1) {
    value = Math.imul(value ^ text.charCodeAt(index), 16777619);
  }

  return value >>> 0;
}

function googleToken(random: Random): string {
  return `${token(random, 20).toLowerCase()}.${random.below(1000)}`;
}

function exchangeHost(host: MailHost): string {
  return host.name.toUpperCase().replace(/\./g, '-');
}
