// The world the benchmark traffic goes to: thousands of recipient domains with Zipf-like
// popularity, their mail hosts, and what is wrong with the few that are broken. Every name and
// address is a reserved documentation value (RFC 2606 names, RFC 5737 and RFC 3849 addresses).

import { domainToASCII } from 'node:url';

import type { Random } from './random.js';

/** What a domain does to mail, apart from the timed outages the traffic model adds. */
export type DomainTrait =
  | 'healthy'
  | 'nxdomain'
  | 'nodata'
  | 'null-mx'
  | 'mx-unresolvable'
  | 'dead-mx'
  | 'tls-broken'
  | 'greylisting'
  | 'via-relay';

/** How a domain's mail servers word their 250 reply. */
export type AcceptStyle = 'postfix' | 'gsmtp' | 'exchange' | 'exim';

export interface MailHost {
  readonly name: string;
  readonly address: string;
}

export interface Domain {
  /** 0 is the most popular. */
  readonly rank: number;
  /** As written in addresses (Unicode for IDN domains). */
  readonly name: string;
  /** A-label form, as in DNS error texts. */
  readonly ascii: string;
  readonly trait: DomainTrait;
  readonly mailHosts: readonly MailHost[];
  /** A large mailbox provider (rate limits, several MX hosts). */
  readonly isProvider: boolean;
  /** Served by the shared hosting provider's MX hosts. */
  readonly isHosted: boolean;
  /** Its servers check our sender domain, so they defer while our DNS looks broken to them. */
  readonly checksSenderDomain: boolean;
  readonly acceptStyle: AcceptStyle;
}

export const OUR_DOMAIN = 'sender.test';
export const OUR_HOST = 'mailhost';
export const LMTP_RELAY: MailHost = { name: `mail.${OUR_DOMAIN}`, address: 'private/dovecot-lmtp' };
export const RELAY_HOST: MailHost = { name: 'relay.partner.test', address: '198.51.100.9' };
/** Our own domain as a destination: mail for it goes to the local mailbox server over LMTP. */
export const OUR_MAIL_DOMAIN: Domain = {
  rank: -1,
  name: OUR_DOMAIN,
  ascii: OUR_DOMAIN,
  trait: 'healthy',
  mailHosts: [LMTP_RELAY],
  isProvider: false,
  isHosted: false,
  checksSenderDomain: false,
  acceptStyle: 'postfix',
};

export const HOSTING_HOSTS: readonly MailHost[] = [
  { name: 'mx1.hostedmail.test', address: '192.0.2.80' },
  { name: 'mx2.hostedmail.test', address: '192.0.2.81' },
];

const PROVIDER_NAMES = [
  'inboxia.test',
  'postbox.example',
  'mailcloud.test',
  'letterline.test',
  'corvomail.test',
  'quillpost.example',
  'northwind.test',
  'contoso.test',
  'fabrikam.example',
  'tailwind.test',
];

const IDN_NAMES = ['bücher.test', 'müller-bau.example', 'café-lumière.test', 'señales.example'];

const SYLLABLES = words(
  'al ba cor da el fen gar hol in jo ka lum mar nor os pel quo ri sol tan ul ver wen xa yor',
  'zel bri cas dor fal gri ha lin mo ne pra sta tri vo wy',
);

const SUFFIXES = ['.test', '.example', '.example.com', '.example.net', '.example.org'];
const WORDS = words('works labs group mail net soft trade bank media shop');

/** Rank shares of the broken traits among domains past the big providers. */
const TRAIT_WEIGHTS: readonly (readonly [DomainTrait, number])[] = [
  ['nxdomain', 0.04],
  ['nodata', 0.005],
  ['null-mx', 0.005],
  ['mx-unresolvable', 0.004],
  ['dead-mx', 0.004],
  ['tls-broken', 0.003],
  ['greylisting', 0.12],
  ['via-relay', 0.006],
];

const FIRST_NAMES = words(
  'ann bob carl dee eve fay gus hal ivy jo kim lee max nia otto pat quinn rosa sam tara uma',
  'vic walt xena yuri zoe amir bea chen dana emil farah gita hugo ines jonas kofi lena mia',
  'nils olga pablo rafael sara tomas ute vera',
);

const LAST_NAMES = words(
  'smith jones garcia tanaka brown lee wilson novak silva khan muller rossi dubois kowalski',
  'nguyen olsen petrov haddad moreau schmidt yilmaz sato costa larsen meyer ivanova adeyemi',
  'fischer',
);

const ROLE_NAMES = words(
  'info sales support accounts orders billing hr office admin contact hello bookings',
  'invoices newsletter helpdesk purchasing',
);

/** The recipient domains, most popular first. */
export function buildDomains(count: number, random: Random): Domain[] {
  const names = buildNames(count, random);

  return names.map((name, rank) => buildDomain(name, rank, random));
}

/** A plausible local part: `first.last`, `f.last`, `first` or a role name. */
export function pickLocalPart(random: Random): string {
  const roll = random.next();

  if (roll < 0.2) {
    return random.pick(ROLE_NAMES);
  }

  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);

  if (roll < 0.65) {
    return `${first}.${last}`;
  }

  return roll < 0.85 ? `${first.charAt(0)}.${last}` : `${first}${random.below(100)}`;
}

/** Our own users: the senders of outgoing mail and recipients of incoming mail. */
export function buildOurUsers(count: number, random: Random): string[] {
  const users = new Set<string>();

  while (users.size < count) {
    users.add(`${random.pick(FIRST_NAMES)}.${random.pick(LAST_NAMES)}${suffixFor(users.size)}`);
  }

  return [...users];
}

function suffixFor(index: number): string {
  return index < 600 ? '' : String(index);
}

function buildNames(count: number, random: Random): string[] {
  const names = new Set<string>(PROVIDER_NAMES);

  while (names.size < count) {
    names.add(inventName(random));
  }

  const list = [...names].slice(0, count);

  IDN_NAMES.forEach((name, index) => {
    const rank = 150 + index * 250;

    if (rank < list.length) {
      list[rank] = name;
    }
  });

  return list;
}

function inventName(random: Random): string {
  let label = '';
  const syllables = random.between(2, 3);

  for (let index = 0; index < syllables; index += 1) {
    label += random.pick(SYLLABLES);
  }

  if (random.chance(0.3)) {
    label += `-${random.pick(WORDS)}`;
  }

  return label + random.pick(SUFFIXES);
}

function buildDomain(name: string, rank: number, random: Random): Domain {
  const isProvider = rank < PROVIDER_NAMES.length;
  const trait = isProvider ? 'healthy' : pickTrait(rank, random);
  const isHosted =
    (trait === 'healthy' || trait === 'greylisting') && !isProvider && random.chance(0.08);

  return {
    rank,
    name,
    ascii: domainToASCII(name) || name,
    trait,
    mailHosts: pickMailHosts(name, trait, isProvider, isHosted, random),
    isProvider,
    isHosted,
    checksSenderDomain: random.chance(0.25),
    acceptStyle: pickAcceptStyle(isProvider, random),
  };
}

/** Broken domains get little mail: none among the top 50, no dead servers among the top 200. */
function pickTrait(rank: number, random: Random): DomainTrait {
  let roll = random.next();

  for (const [trait, weight] of TRAIT_WEIGHTS) {
    if (roll < weight) {
      if (rank < 50 || (rank < 200 && (trait === 'dead-mx' || trait === 'tls-broken'))) {
        return 'healthy';
      }

      return trait;
    }

    roll -= weight;
  }

  return 'healthy';
}

function pickMailHosts(
  name: string,
  trait: DomainTrait,
  isProvider: boolean,
  isHosted: boolean,
  random: Random,
): MailHost[] {
  const ascii = domainToASCII(name) || name;

  if (trait === 'via-relay') {
    return [RELAY_HOST];
  }

  if (isHosted) {
    return [...HOSTING_HOSTS];
  }

  if (isProvider) {
    return [1, 2, 3].map((index) => ({
      name: `mx${index}.${ascii}`,
      address: random.chance(0.3) ? ipv6Address(random) : ipv4Address(random),
    }));
  }

  const prefix =
    trait === 'mx-unresolvable' ? 'mx-old' : random.pick(['mx', 'mail', 'mx1', 'smtp']);

  return [{ name: `${prefix}.${ascii}`, address: ipv4Address(random) }];
}

function ipv4Address(random: Random): string {
  const network = random.chance(0.5) ? '192.0.2' : '198.51.100';

  return `${network}.${random.between(10, 250)}`;
}

function ipv6Address(random: Random): string {
  return `2001:db8:${random.below(0xffff).toString(16)}::${random.between(1, 0xff).toString(16)}`;
}

function pickAcceptStyle(isProvider: boolean, random: Random): AcceptStyle {
  if (isProvider) {
    return random.pick(['gsmtp', 'exchange'] as const);
  }

  return random.pick(['postfix', 'postfix', 'postfix', 'exim', 'exchange'] as const);
}

function words(...lines: string[]): string[] {
  return lines.join(' ').split(' ');
}
