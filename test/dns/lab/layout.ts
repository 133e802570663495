// What the DNS lab is made of: which NSD instance serves which zones, which addresses stay
// silent, which zones are signed, and which domain plays which part. The zone files themselves
// are in ./zones, with `{net}` standing for the run's 127.x.y prefix.

/** An authoritative NSD instance: its last address octet and the zones it serves. */
export interface LabNameServer {
  readonly role: 'root' | 'tld' | 'provider' | 'lame';
  readonly octet: number;
  /** Zone names without the trailing dot (`.` for the root); file `<file>.zone` in ./zones. */
  readonly zones: readonly { readonly name: string; readonly file: string }[];
}

/** A zone signed at start; `expired` zones get signatures that ended long ago (bogus). */
export interface LabSignedZone {
  readonly name: string;
  readonly file: string;
  readonly expired: boolean;
}

/** Recursive resolvers: last address octets. The dead one is an address nothing listens on. */
export const RESOLVER_OCTETS = { resolver: 53, validatingResolver: 54, deadResolver: 55 } as const;

/** Name server addresses the zones delegate to where nothing listens. */
export const SILENT_OCTETS: readonly number[] = [21, 22, 23, 24, 31, 32];

/** The part each domain plays, by role. The lab-1 sample names are kept where they fit. */
export const LAB_DOMAINS = {
  working: 'woodgrove.test',
  recoveredAfterLocalOutage: 'fourthcoffee.test',
  sender: 'sender.test',
  remotePolicy: 'proseware.test',
  remoteReject: 'lucerne.test',
  connectionRefused: 'margie.test',
  unreachable: 'northwind.test',
  partial: 'fabrikam.test',
  lame: 'contoso.test',
  nxdomain: 'adventure-works.test',
  noMailHost: 'tailspin.test',
  nullMx: 'wingtip.test',
  mxNoAddress: 'litware.test',
  mxCname: 'cohowinery.test',
  mxIpLiteral: 'wideworldimporters.test',
  signed: 'relecloud.test',
  dnssecBroken: 'blueyonder.test',
  providerOutageA: 'adatum.test',
  providerOutageB: 'treyresearch.test',
  partlyLame: 'alpineskihouse.test',
  nameServerWithoutGlue: 'lamnahealthcare.test',
  staleLocalStub: 'southridgevideo.test',
} as const;

export type LabDomainRole = keyof typeof LAB_DOMAINS;

/** The lame server's last octet; it serves no zone and answers every question REFUSED. */
const LAME_OCTET = 5;

const PROVIDER_ZONES = [
  'provider',
  'woodgrove',
  'fourthcoffee',
  'sender',
  'proseware',
  'lucerne',
  'margie',
  'fabrikam',
  'tailspin',
  'wingtip',
  'litware',
  'cohowinery',
  'wideworldimporters',
  'humongous',
  'relecloud',
  'blueyonder',
  'alpineskihouse',
  'lamnahealthcare',
  'southridgevideo',
];

export const NAME_SERVERS: readonly LabNameServer[] = [
  { role: 'root', octet: 1, zones: [{ name: '.', file: 'root' }] },
  { role: 'tld', octet: 2, zones: [{ name: 'test', file: 'test' }] },
  {
    role: 'provider',
    octet: 3,
    zones: PROVIDER_ZONES.map((label) => ({ name: `${label}.test`, file: label })),
  },
  { role: 'lame', octet: LAME_OCTET, zones: [] },
];

/**
 * A stub zone only the plain resolver has, left over from a move: it sends the domain's
 * questions to the lame server, so ours says SERVFAIL while the domain's own servers answer.
 */
export const STALE_STUB = { zone: LAB_DOMAINS.staleLocalStub, octet: LAME_OCTET } as const;

/** Children first: each parent gets its children's DS records before it is signed. */
export const SIGNED_ZONES: readonly LabSignedZone[] = [
  { name: 'relecloud.test', file: 'relecloud', expired: false },
  { name: 'blueyonder.test', file: 'blueyonder', expired: true },
  { name: 'test', file: 'test', expired: false },
  { name: '.', file: 'root', expired: false },
];

/** Which signed zone's parent file takes a child's DS record. */
export function parentFile(zone: string): string | undefined {
  if (zone === '.') return undefined;

  return zone.includes('.') ? 'test' : 'root';
}
