// Where the DNS roles come from: resolv.conf files, command-line addresses, root hints.

import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';

import { MxtriageError } from '../errors.js';
import type { ChrootCopy, DnsRoles, ServerAddress } from './types.js';

export interface ResolvConf {
  readonly servers: ServerAddress[];
  /** The words of its `options` lines, in order: `edns0`, `timeout:2`, ... */
  readonly options: readonly string[];
  /** `options timeout:N`, in milliseconds (glibc takes at most 30 s). */
  readonly timeoutMs?: number;
  /** `options attempts:N` (glibc takes at most 5). */
  readonly attempts?: number;
}

export interface LocalRolesOptions {
  /** `--local-resolver` values; when given they replace the system resolv.conf. */
  readonly localResolvers?: readonly string[];
  /** `--postfix-queue-dir`: Postfix's `queue_directory`, whose `etc/resolv.conf` is the chroot
   *  copy. Given, the copy must exist; not given, `/var/spool/postfix` is tried quietly. */
  readonly postfixQueueDirectory?: string;
  /** The system file; default `/etc/resolv.conf`. */
  readonly resolvConfPath?: string;
}

export const SYSTEM_RESOLV_CONF = '/etc/resolv.conf';
export const POSTFIX_QUEUE_DIRECTORY = '/var/spool/postfix';

/** The resolver glibc uses when resolv.conf names none (resolv.conf(5)). */
const FALLBACK_LOCAL: readonly ServerAddress[] = [{ address: '127.0.0.1', port: 53 }];

/** Google, Cloudflare and Quad9: validating resolvers an administrator tries with `dig @...`. */
export const PUBLIC_RESOLVERS: readonly ServerAddress[] = [
  { address: '8.8.8.8', port: 53 },
  { address: '1.1.1.1', port: 53 },
  { address: '9.9.9.9', port: 53 },
  { address: '2001:4860:4860::8888', port: 53 },
  { address: '2606:4700:4700::1111', port: 53 },
  { address: '2620:fe::fe', port: 53 },
];

/** a. to m.root-servers.net as IANA's named.root lists them; IPv4 first. */
export const BUILTIN_ROOTS: readonly ServerAddress[] = [
  '198.41.0.4',
  '170.247.170.2',
  '192.33.4.12',
  '199.7.91.13',
  '192.203.230.10',
  '192.5.5.241',
  '192.112.36.4',
  '198.97.190.53',
  '192.36.148.17',
  '192.58.128.30',
  '193.0.14.129',
  '199.7.83.42',
  '202.12.27.33',
  '2001:503:ba3e::2:30',
  '2801:1b8:10::b',
  '2001:500:2::c',
  '2001:500:2d::d',
  '2001:500:a8::e',
  '2001:500:2f::f',
  '2001:500:12::d0d',
  '2001:500:1::53',
  '2001:7fe::53',
  '2001:503:c27::2:30',
  '2001:7fd::1',
  '2001:500:9f::42',
  '2001:dc3::35',
].map((address) => ({ address, port: 53 }));

const ADDRESS_HINT =
  'an IP address with an optional port, such as 192.0.2.53 or [2001:db8::53]:5353';
const HINT_LINE = /^(\S+)\s+(?:\d+\s+)?(?:IN\s+)?(A|AAAA)\s+(\S+)\s*$/i;

/** glibc's RES_MAXRETRANS (seconds) and RES_MAXRETRY: larger values in resolv.conf are cut. */
const MAX_TIMEOUT_SECONDS = 30;
const MAX_ATTEMPTS = 5;

const NO_QUEUE_DIRECTORY =
  "no such directory: give Postfix's queue_directory (postconf -h queue_directory)";

/** Reads the name servers and the timeout/attempts options of a resolv.conf file. */
export async function readResolvConf(file = SYSTEM_RESOLV_CONF): Promise<ResolvConf> {
  const text = await readText(file, 'Resolver configuration');
  const servers: ServerAddress[] = [];
  const options: string[] = [];
  let timeoutSeconds: number | undefined;
  let attempts: number | undefined;

  for (const line of text.split('\n')) {
    const words = line
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);

    if (words[0] === 'nameserver' && words[1] !== undefined && isIP(words[1]) !== 0) {
      servers.push({ address: words[1], port: 53 });
    } else if (words[0] === 'options') {
      options.push(...words.slice(1));
      timeoutSeconds = readOption(words, 'timeout:', MAX_TIMEOUT_SECONDS) ?? timeoutSeconds;
      attempts = readOption(words, 'attempts:', MAX_ATTEMPTS) ?? attempts;
    }
  }

  return {
    servers,
    options,
    ...(timeoutSeconds === undefined ? {} : { timeoutMs: timeoutSeconds * 1000 }),
    ...(attempts === undefined ? {} : { attempts }),
  };
}

/**
 * The local resolvers: `--local-resolver` values, or the system resolv.conf (with glibc's
 * fallback to 127.0.0.1 when it names none), and Postfix's chroot copy of resolv.conf.
 *
 * Postfix's chrooted smtp client reads `queue_directory/etc/resolv.conf` instead of the system
 * file, which the start script is meant to copy there (Debian's does, at every start). The copy
 * is therefore always compared with the system file, never with `--local-resolver`: by its
 * name servers (as a set: the same resolvers in another order are the same resolvers) and its
 * `options` (timeout, attempts, edns0, ...), not by `search` or `domain`, which never apply to
 * the dotted names mail is sent to. Where it is looked for:
 *
 * - Without `--local-resolver` the copy is a second view of our resolver: under
 *   `--postfix-queue-dir`, else `/var/spool/postfix`, and a missing copy (no Postfix, or one not
 *   chrooted) is quietly no chroot role.
 * - With `--local-resolver` our resolver is the one named there, so the copy is read only when
 *   `--postfix-queue-dir` is given as well.
 * - A `--postfix-queue-dir` given without an `etc/resolv.conf` below it is a usage error, not
 *   skipped: the comparison asked for cannot be made, and a cron line that silently checks
 *   nothing would never show a stale copy.
 */
export async function localRoles(
  options: LocalRolesOptions = {},
): Promise<Pick<DnsRoles, 'local' | 'localSource' | 'chroot'>> {
  const isOverridden = options.localResolvers !== undefined && options.localResolvers.length > 0;
  const systemPath = options.resolvConfPath ?? SYSTEM_RESOLV_CONF;
  const system = await readResolvConf(systemPath).catch(() => undefined);
  const local = isOverridden
    ? (options.localResolvers ?? []).map((text) => parseServerAddress(text, '--local-resolver'))
    : effectiveServers(system);

  const queueDirectory =
    options.postfixQueueDirectory ?? (isOverridden ? undefined : POSTFIX_QUEUE_DIRECTORY);
  const copy =
    queueDirectory === undefined
      ? undefined
      : await readChrootCopy(queueDirectory, options.postfixQueueDirectory !== undefined);

  return {
    local,
    localSource: isOverridden ? '--local-resolver' : systemPath,
    ...(copy === undefined ? {} : { chroot: compareCopy(copy, system, systemPath) }),
  };
}

/**
 * Parses `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1`, `[2001:db8::1]:5353`, `fe80::1%eth0`;
 * `flag` is the option the text was given to, which a bad value's message names.
 */
export function parseServerAddress(text: string, flag: string): ServerAddress {
  return readServerAddress(text, flag, `use ${ADDRESS_HINT}`);
}

/** Expands `--resolver` values: addresses, or `public` in any case for {@link PUBLIC_RESOLVERS}. */
export function parseResolverOption(values: readonly string[]): ServerAddress[] {
  return values.flatMap((value) =>
    value.trim().toLowerCase() === 'public'
      ? [...PUBLIC_RESOLVERS]
      : [readServerAddress(value, '--resolver', `use public or ${ADDRESS_HINT}`)],
  );
}

/**
 * Reads the A and AAAA lines of a root hints file (named.root), given to the option `flag`;
 * `port` (default 53) applies to all.
 */
export async function readRootHints(
  file: string,
  { flag, port = 53 }: { readonly flag: string; readonly port?: number },
): Promise<ServerAddress[]> {
  const text = await readOptionFile(file, flag);
  const servers: ServerAddress[] = [];

  for (const line of text.split('\n')) {
    const match = HINT_LINE.exec(line.replace(/;.*$/, '').trim());

    if (match?.[3] !== undefined && isIP(match[3]) !== 0) {
      servers.push({ address: match[3], port });
    }
  }

  if (servers.length === 0) {
    throw new MxtriageError(
      'USAGE',
      `Invalid ${flag} value: ${file}: it has no A or AAAA records: ` +
        'use a file in named.root format',
    );
  }

  return servers;
}

/** `address:port`, IPv6 in brackets: how servers are named in probes and reasons. */
export function formatServer(server: ServerAddress): string {
  return server.address.includes(':')
    ? `[${server.address}]:${server.port}`
    : `${server.address}:${server.port}`;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const problem = code === 'ENOENT' ? 'not found' : `cannot be read (${code})`;

    throw new MxtriageError('USAGE', `${what} ${problem}: ${file}`, { cause: error });
  }
}

function readServerAddress(text: string, flag: string, hint: string): ServerAddress {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  const split = bracketed ?? splitPort(trimmed);
  const address = split[1] ?? '';
  const port = split[2] === undefined ? 53 : Number(split[2]);

  if (isIP(address) === 0 || (bracketed !== null && isIP(address) !== 6)) {
    throw new MxtriageError('USAGE', `Invalid ${flag} value: ${text}: ${hint}`);
  }

  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MxtriageError('USAGE', `Invalid ${flag} value: ${text}: use a port from 1 to 65535`);
  }

  return { address, port };
}

/** A file named by a command-line option: a missing or unreadable one is a usage error. */
async function readOptionFile(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const problem = code === 'ENOENT' ? 'no such file' : `it cannot be read (${code})`;

    throw new MxtriageError('USAGE', `Invalid ${flag} value: ${file}: ${problem}`, {
      cause: error,
    });
  }
}

function readOption(words: readonly string[], prefix: string, max: number): number | undefined {
  const word = words.find((candidate) => candidate.startsWith(prefix));
  const value = word === undefined ? NaN : Number(word.slice(prefix.length));

  return Number.isInteger(value) && value > 0 ? Math.min(value, max) : undefined;
}

function splitPort(text: string): readonly (string | undefined)[] {
  const colon = text.lastIndexOf(':');
  const isHostPort = colon > 0 && text.indexOf(':') === colon;

  return isHostPort ? [text, text.slice(0, colon), text.slice(colon + 1)] : [text, text];
}

/** The servers a resolv.conf makes glibc use: its own, or 127.0.0.1 when it names none. */
function effectiveServers(conf: ResolvConf | undefined): ServerAddress[] {
  return conf === undefined || conf.servers.length === 0 ? [...FALLBACK_LOCAL] : conf.servers;
}

/** The chroot copy; undefined when it is missing and was only looked for by default. */
async function readChrootCopy(
  queueDirectory: string,
  isExplicit: boolean,
): Promise<{ path: string; conf: ResolvConf } | undefined> {
  const file = path.join(queueDirectory, 'etc', 'resolv.conf');

  try {
    return { path: file, conf: await readResolvConf(file) };
  } catch (error) {
    if (!isExplicit) return undefined;

    const why = await describeMissingCopy(queueDirectory, file, error);
    const message = `Invalid --postfix-queue-dir value: ${queueDirectory}: ${why}`;
    throw new MxtriageError('USAGE', message, { cause: error });
  }
}

async function describeMissingCopy(
  queueDirectory: string,
  file: string,
  error: unknown,
): Promise<string> {
  const isDirectory = await stat(queueDirectory).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!isDirectory) return NO_QUEUE_DIRECTORY;

  const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT'
    ? `${file} does not exist (Postfix copies resolv.conf there only for chrooted services)`
    : `${file} cannot be read (${code ?? 'error'})`;
}

function compareCopy(
  copy: { path: string; conf: ResolvConf },
  system: ResolvConf | undefined,
  systemPath: string,
): ChrootCopy {
  const servers = effectiveServers(copy.conf);
  const otherServers = serverSetKey(servers) !== serverSetKey(effectiveServers(system));
  const otherOptions = optionsKey(copy.conf) !== optionsKey(system);
  const differences = [
    ...(otherServers ? ['name servers'] : []),
    ...(otherOptions ? ['options'] : []),
  ];

  return {
    path: copy.path,
    servers,
    comparedWith: systemPath,
    differs: differences.length > 0,
    ...(differences.length === 0 ? {} : { difference: differences.join(' and ') }),
  };
}

function serverSetKey(servers: readonly ServerAddress[]): string {
  return servers.map(formatServer).sort().join(' ');
}

function optionsKey(conf: ResolvConf | undefined): string {
  return [...(conf?.options ?? [])].sort().join(' ');
}
