// Zone files for one lab run: the templates in ./zones with the run's address prefix filled in,
// then the DNSSEC zones signed with ldns, children before parents, each parent carrying its
// children's DS records. Keys are made fresh in the run's folder and deleted with it.

import { execFile } from 'node:child_process';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { findProgram, type LabProgram } from './binaries.js';
import { parentFile, SIGNED_ZONES, type LabSignedZone } from './layout.js';

export interface LabZones {
  /** Zone template name (`root`, `test`, `woodgrove`) → the file NSD loads, in the run folder. */
  readonly files: ReadonlyMap<string, string>;
  /** The root key's DS record in presentation form: the validating resolver's trust anchor. */
  readonly trustAnchor: string;
}

const TEMPLATE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'zones');
const ALGORITHM = 'ECDSAP256SHA256';
/** Signature validity for the broken zone: a month that ended years ago. */
const EXPIRED_INCEPTION = '20200101000000';
const EXPIRED_EXPIRATION = '20200201000000';

const run = promisify(execFile);

/** Writes every zone of the lab into `dir` for addresses under `net` (`127.x.y`). */
export async function writeLabZones(dir: string, net: string): Promise<LabZones> {
  const files = await renderTemplates(dir, net);
  let trustAnchor = '';

  for (const zone of SIGNED_ZONES) {
    const ds = await signZone(dir, zone);
    files.set(zone.file, `${zone.file}.zone.signed`);

    const parent = parentFile(zone.name);
    if (parent === undefined) trustAnchor = ds;
    else await appendFile(path.join(dir, `${parent}.zone`), `${ds}\n`);
  }

  return { files, trustAnchor };
}

async function renderTemplates(dir: string, net: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const names = (await readdir(TEMPLATE_DIR)).filter((name) => name.endsWith('.zone'));

  for (const name of names) {
    const text = await readFile(path.join(TEMPLATE_DIR, name), 'utf8');
    await writeFile(path.join(dir, name), text.replaceAll('{net}', net));
    files.set(name.slice(0, -'.zone'.length), name);
  }

  return files;
}

/** Signs one zone with a fresh key (flagged as a key-signing key) and returns its DS record. */
async function signZone(dir: string, zone: LabSignedZone): Promise<string> {
  const owner = zone.name === '.' ? '.' : `${zone.name}.`;
  const key = (await runProgram('ldns-keygen', ['-a', ALGORITHM, '-k', owner], dir)).trim();
  const dates = zone.expired ? ['-i', EXPIRED_INCEPTION, '-e', EXPIRED_EXPIRATION] : [];
  await runProgram('ldns-signzone', [...dates, `${zone.file}.zone`, key], dir);

  const ds = await runProgram('ldns-key2ds', ['-n', '-2', `${key}.key`], dir);
  return ds.trim();
}

async function runProgram(name: LabProgram, args: readonly string[], cwd: string): Promise<string> {
  const program = findProgram(name);
  if (program === undefined) throw new Error(`DNS lab: ${name} is not installed`);

  const { stdout } = await run(program, args, { cwd });
  return stdout;
}
