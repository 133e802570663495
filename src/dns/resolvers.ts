// Asking recursive resolvers (ours and the user's reference ones): the domain's MX, with the
// CD bit where it tells a DNSSEC failure apart, and the A/AAAA of names.

import type { Probe } from '../model.js';
import { classifyOutcome, extractAddresses, extractMx, toProbes, toReply } from './classify.js';
import type { FoundAddresses } from './classify.js';
import { query } from './query.js';
import type { Question } from './query.js';
import { formatServer } from './resolv-conf.js';
import type {
  AddressLookup,
  MxRecord,
  ProbeResult,
  Reply,
  ResolverCheck,
  ResolverView,
  ServerAddress,
} from './types.js';
import { DEFINITE_RESULTS } from './types.js';

/** Time limits shared by every query of a run. */
export interface AskOptions {
  readonly timeoutMs: number;
  readonly attempts?: number;
  readonly signal?: AbortSignal;
}

export interface ResolverAskOptions extends AskOptions {
  /** `local` or `reference`: the probe roles. */
  readonly role: 'local' | 'reference';
  /** Named in the view: `/etc/resolv.conf`, `--local-resolver`, a chroot path, `reference`. */
  readonly source: string;
}

/** A definite MX result from some source, with its records. */
export interface MxFinding {
  readonly result: 'answer' | 'nxdomain' | 'nodata';
  readonly records: readonly MxRecord[];
}

/** One name's A or AAAA look-up result, whatever path it took. */
export interface AddressAnswer {
  readonly result: ProbeResult;
  readonly addresses: readonly string[];
  readonly cname?: string;
  /** The alias chain from the name leads back into itself. */
  readonly isAliasLoop?: true;
  /** Why our own look-up was given up before a server answered: the query limit or budget. */
  readonly stopped?: string;
}

/** Asks every resolver for the domain's MX; reference resolvers also with CD. */
export async function checkResolvers(
  servers: readonly ServerAddress[],
  domain: string,
  options: ResolverAskOptions,
  sink: (probe: Probe) => void,
): Promise<{ view: ResolverView; mx?: MxFinding }> {
  const checks = await Promise.all(
    servers.map((server) => checkResolver(server, domain, options, sink)),
  );
  const definite = checks.find((check) => DEFINITE_RESULTS.has(check.reply.result));
  const view: ResolverView = {
    source: options.source,
    servers: checks,
    status: viewStatus(checks),
  };

  return definite === undefined
    ? { view }
    : {
        view,
        mx: { result: definite.reply.result as MxFinding['result'], records: [...definite.mx] },
      };
}

/** The first definite A and AAAA answers from the resolvers, tried in order. */
export async function lookupThroughResolvers(
  servers: readonly ServerAddress[],
  name: string,
  options: AskOptions,
  sink: (probe: Probe) => void,
): Promise<AddressLookup | undefined> {
  if (servers.length === 0) {
    return undefined;
  }

  const [v4, v6] = await Promise.all([
    lookupType(servers, { name, type: 'A' }, options, sink),
    lookupType(servers, { name, type: 'AAAA' }, options, sink),
  ]);

  return toAddressLookup(v4, v6);
}

/** Combines the A and AAAA answers of one name into one look-up result. */
export function toAddressLookup(v4: AddressAnswer, v6: AddressAnswer): AddressLookup {
  const addresses = [...v4.addresses, ...v6.addresses];
  const cnameTarget = v4.cname ?? v6.cname;
  const results = [v4.result, v6.result];
  const base = {
    addresses,
    results,
    ...(cnameTarget === undefined ? {} : { cnameTarget }),
    ...(v4.isAliasLoop === true || v6.isAliasLoop === true ? { isAliasLoop: true as const } : {}),
  };

  if (cnameTarget !== undefined) {
    return { status: 'cname', ...base };
  }

  if (addresses.length > 0) {
    return { status: 'resolves', ...base };
  }

  if (results.includes('nxdomain')) {
    return { status: 'nxdomain', ...base };
  }

  return { status: results.every((result) => result === 'nodata') ? 'nodata' : 'failed', ...base };
}

/** The view of servers that were not asked, with the reason. */
export function unaskedView(source: string, note: string): ResolverView {
  return { source, servers: [], status: 'none', note };
}

async function checkResolver(
  server: ServerAddress,
  domain: string,
  options: ResolverAskOptions,
  sink: (probe: Probe) => void,
): Promise<ResolverCheck> {
  const question: Question = { name: domain, type: 'MX' };
  let plain = await ask(server, question, options, false);

  toProbes(plain.outcome, options.role, plain.result).forEach(sink);

  const needsCd = options.role === 'reference' || plain.result === 'servfail';
  const cd = needsCd ? await ask(server, question, options, true) : undefined;

  if (cd !== undefined) {
    const role = options.role === 'reference' ? 'reference-cd' : 'local';

    toProbes(cd.outcome, role, cd.result).forEach(sink);
  }

  // A resolver may give SERVFAIL while it is still resolving a name its upstream is slow on,
  // and answer the CD query from the cache that filled meanwhile. Asked once more without CD,
  // a resolver that rejects the answer in validation fails again; one that answers had a
  // passing failure, which is no DNSSEC failure. Both probes stay in the evidence.
  if (plain.result === 'servfail' && cd !== undefined && DEFINITE_RESULTS.has(cd.result)) {
    const again = await ask(server, question, options, false);

    toProbes(again.outcome, options.role, again.result).forEach(sink);
    if (DEFINITE_RESULTS.has(again.result)) plain = again;
  }

  return {
    server: formatServer(server),
    reply: plain.reply,
    mx: plain.result === 'answer' ? extractMx(plain.outcome) : [],
    ...(cd === undefined ? {} : { checkingDisabled: cd.reply }),
    dnssecFailure:
      plain.result === 'servfail' && cd !== undefined && DEFINITE_RESULTS.has(cd.result),
  };
}

async function ask(
  server: ServerAddress,
  question: Question,
  options: AskOptions,
  checkingDisabled: boolean,
): Promise<{ outcome: Awaited<ReturnType<typeof query>>; result: ProbeResult; reply: Reply }> {
  const outcome = await query(server, question, {
    recursion: true,
    checkingDisabled,
    timeoutMs: options.timeoutMs,
    ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const result = classifyOutcome(outcome, { authoritative: false });

  return { outcome, result, reply: toReply(outcome, result) };
}

async function lookupType(
  servers: readonly ServerAddress[],
  question: Question,
  options: AskOptions,
  sink: (probe: Probe) => void,
): Promise<AddressAnswer> {
  let last: AddressAnswer = { result: 'timeout', addresses: [] };

  for (const server of servers) {
    const { outcome, result } = await ask(server, question, options, false);

    toProbes(outcome, 'local', result).forEach(sink);

    const found = extractAddresses(outcome);

    last = { result, addresses: result === 'answer' ? found.addresses : [], ...cnameOf(found) };

    if (DEFINITE_RESULTS.has(result) || options.signal?.aborted === true) {
      return last;
    }
  }

  return last;
}

function cnameOf(found: FoundAddresses): Pick<AddressAnswer, 'cname' | 'isAliasLoop'> {
  return {
    ...(found.cname === undefined ? {} : { cname: found.cname }),
    ...(found.isAliasLoop === undefined ? {} : { isAliasLoop: found.isAliasLoop }),
  };
}

function viewStatus(checks: readonly ResolverCheck[]): ResolverView['status'] {
  const definite = checks.filter((check) => DEFINITE_RESULTS.has(check.reply.result)).length;

  if (checks.length === 0) {
    return 'none';
  }

  return definite === checks.length ? 'answers' : definite === 0 ? 'fails' : 'mixed';
}
