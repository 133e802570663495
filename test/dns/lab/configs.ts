// Configuration files for the lab's servers. Everything lives in the run's folder: no chroot,
// no user switch, no system paths, so the servers run the same as root or in a container.

import path from 'node:path';

import type { LabNameServer } from './layout.js';

export interface NsdSettings {
  readonly dir: string;
  readonly address: string;
  readonly server: LabNameServer;
  /** Zone template name → file in `dir`. */
  readonly zoneFiles: ReadonlyMap<string, string>;
}

export interface UnboundSettings {
  readonly dir: string;
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly rootHintsFile: string;
  /** The root's DS record; when given, the validator runs with it as the trust anchor. */
  readonly trustAnchor?: string;
  /** Zones this resolver asks the given server about instead of walking from the root. */
  readonly stubZones?: readonly { readonly zone: string; readonly address: string }[];
}

/** nsd.conf for one authoritative instance on port 53 of its own address. */
export function formatNsdConfig(settings: NsdSettings): string {
  const { dir, address, server } = settings;
  const file = (suffix: string): string => quote(path.join(dir, `nsd-${server.role}.${suffix}`));
  const lines = [
    'server:',
    `  ip-address: ${address}`,
    '  port: 53',
    '  do-ip6: no',
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: ${quote(dir)}`,
    '  database: ""',
    `  zonelistfile: ${file('zonelist')}`,
    `  xfrdfile: ${file('xfrd')}`,
    `  xfrdir: ${quote(dir)}`,
    `  pidfile: ${file('pid')}`,
    `  logfile: ${file('log')}`,
    '  server-count: 1',
    '  verbosity: 1',
    'remote-control:',
    '  control-enable: no',
    ...server.zones.flatMap((zone) => formatNsdZone(zone, settings.zoneFiles)),
  ];

  return `${lines.join('\n')}\n`;
}

/** unbound.conf for a resolver that walks from the lab's root. */
export function formatUnboundConfig(settings: UnboundSettings): string {
  const { dir, name, trustAnchor } = settings;
  const lines = [
    'server:',
    `  interface: ${settings.address}`,
    `  port: ${settings.port}`,
    '  do-ip6: no',
    '  chroot: ""',
    '  username: ""',
    `  directory: ${quote(dir)}`,
    `  pidfile: ${quote(path.join(dir, `unbound-${name}.pid`))}`,
    '  use-syslog: no',
    `  logfile: ${quote(path.join(dir, `unbound-${name}.log`))}`,
    '  verbosity: 1',
    '  num-threads: 1',
    '  so-reuseport: no',
    '  outgoing-range: 64',
    '  access-control: 127.0.0.0/8 allow',
    `  root-hints: ${quote(settings.rootHintsFile)}`,
    // unbound will not ask name servers on loopback unless told, and answers NXDOMAIN for the
    // special-use name test. (RFC 6761) from a built-in local zone.
    '  do-not-query-localhost: no',
    '  local-zone: "test." nodefault',
    ...formatValidation(trustAnchor),
    'remote-control:',
    '  control-enable: no',
    ...(settings.stubZones ?? []).flatMap(formatStubZone),
  ];

  return `${lines.join('\n')}\n`;
}

/** Root hints in the usual named.root shape, naming only the lab's root server. */
export function formatRootHints(rootAddress: string): string {
  return [
    '.                      3600000  NS  a.root-servers.test.',
    `a.root-servers.test.   3600000  A   ${rootAddress}`,
    '',
  ].join('\n');
}

function formatNsdZone(zone: LabNameServer['zones'][number], files: ReadonlyMap<string, string>) {
  const file = files.get(zone.file);
  if (file === undefined) throw new Error(`DNS lab: no zone file for ${zone.name}`);

  return ['zone:', `  name: ${quote(zone.name)}`, `  zonefile: ${quote(file)}`];
}

function formatValidation(trustAnchor: string | undefined): string[] {
  if (trustAnchor === undefined) return ['  module-config: "iterator"'];

  return [
    '  module-config: "validator iterator"',
    `  trust-anchor: ${quote(trustAnchor.replace(/\s+/g, ' '))}`,
    '  val-log-level: 2',
  ];
}

function formatStubZone(stub: { zone: string; address: string }): string[] {
  return ['stub-zone:', `  name: ${quote(stub.zone)}`, `  stub-addr: ${stub.address}`];
}

function quote(text: string): string {
  return `"${text}"`;
}
