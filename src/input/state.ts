// Remembers how far each log was read, so a cron run reads only new lines, across logrotate:
// renamed, compressed and truncated files, without reading a line twice or skipping one.

import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { access, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { constants, createGunzip, gunzipSync } from 'node:zlib';

import { MxtriageError } from '../errors.js';
import { orderInputs } from './order-inputs.js';
import { isGzip } from './sniff.js';

export interface FileCheckpoint {
  readonly path: string;
  readonly inode: number;
  /** File size when the checkpoint was taken (compressed size for gzip files). */
  readonly size: number;
  /** Bytes read: in the file for plain files, in the decompressed content for gzip files. */
  readonly offset: number;
  /** Lines before `offset`, so the next run numbers lines as the file does. States saved
   *  before it was kept lack it; the next run counts them (`countLinesBefore`). */
  readonly lines?: number;
  /** `<n>:<sha256>` of the content's first n bytes: its first line, at most 256 bytes. The
   *  same after a rename or compression, so a rotated copy is recognised. */
  readonly fingerprint: string;
}

export interface ReadState {
  readonly version: 1;
  readonly tool: 'mxtriage';
  readonly files: readonly FileCheckpoint[];
  /** ISO time of the save. */
  readonly savedAt: string;
}

/** What a file is, seen when the run was planned. */
export interface FileIdentity {
  readonly inode: number;
  readonly size: number;
  readonly isGzip: boolean;
  /** The first bytes of the content (decompressed), up to the fingerprint length. */
  readonly head: Buffer;
  /** The checkpoint this file continues, if any. */
  readonly checkpoint?: FileCheckpoint;
}

export interface ResumePlan {
  /** Inputs to read, oldest first. */
  readonly paths: string[];
  /** Where to start in each input that was read before (see `readInputs`). */
  readonly startOffsets: Map<string, number>;
  /** Lines before each start offset, where the checkpoint knows them. */
  readonly startLines: Map<string, number>;
  /** Inputs with nothing new since the last run. */
  readonly skipped: string[];
  /** Every file that could be opened, for `checkpointRun`. */
  readonly files: Map<string, FileIdentity>;
}

const FINGERPRINT_BYTES = 256;
/** Compressed bytes read to recover the first content bytes of a gzip file. */
const GZIP_HEAD_BYTES = 16 * 1024;

/** Where reading of one input ended: a byte offset (see `FileCheckpoint`) and the lines before
 *  it, when they are known (not after resuming from a state saved without them). */
export interface ReadPosition {
  readonly offset: number;
  readonly lines?: number;
}

/**
 * Where reading of `name` stands after its line `lastLine`, at `offset`. The line count is the
 * file's own only when reading began at its start or where the plan knew the count; otherwise
 * none is saved, rather than a wrong one that later runs would carry on.
 */
export function readPosition(
  plan: ResumePlan | undefined,
  name: string,
  { offset, lastLine }: { readonly offset: number; readonly lastLine: number },
): ReadPosition {
  const start = plan?.startOffsets.get(name) ?? 0;
  return start > 0 && plan?.startLines.has(name) !== true
    ? { offset }
    : { offset, lines: lastLine };
}

/** The saved state; `undefined` when the file does not exist. */
export async function loadState(path: string): Promise<ReadState | undefined> {
  let text: string;

  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return undefined;
    }

    throw new MxtriageError('STATE', `Cannot read state file ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }

  return parseState(path, text);
}

/** Fails before a run when its state could not be saved after it: the directory is missing or
 *  not writable. */
export async function checkStateWritable(path: string): Promise<void> {
  try {
    await access(dirname(path), fsConstants.W_OK);
  } catch (error) {
    throw writeError(path, error);
  }
}

/** Writes the state atomically: a temporary file in the same directory, fsync, rename. */
export async function saveState(path: string, state: ReadState): Promise<void> {
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );

  try {
    await writeSynced(temporary, `${JSON.stringify(state, null, 2)}\n`);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw writeError(path, error);
  }

  await syncDirectory(dirname(path));
}

/**
 * Decides what to read so no line is read twice or skipped: a file that continues a
 * checkpoint (same content start, wherever it was renamed or compressed to) resumes at its
 * offset; a file with nothing new is skipped; any other file, including one truncated in
 * place (copytruncate), is read from its start.
 */
export async function planResume(
  paths: readonly string[],
  state: ReadState | undefined,
): Promise<ResumePlan> {
  const plan: ResumePlan = {
    paths: [],
    startOffsets: new Map(),
    startLines: new Map(),
    skipped: [],
    files: new Map(),
  };
  const unused = new Set(state?.files ?? []);

  for (const path of orderInputs(paths)) {
    const identity = path === '-' ? undefined : await identify(path);

    if (identity === undefined) {
      // stdin, or a file the reader will report as missing or unreadable.
      plan.paths.push(path);
      continue;
    }

    const checkpoint = findCheckpoint(identity, unused);
    plan.files.set(path, checkpoint === undefined ? identity : { ...identity, checkpoint });
    planFile(plan, path, identity, checkpoint);
    await countLinesBefore(plan, path, identity);
  }

  return plan;
}

/** A checkpoint saved before line counts were kept: the lines before its offset are counted
 *  once, so that line numbers stay the file's own. Unknown when the file cannot be read. */
async function countLinesBefore(plan: ResumePlan, path: string, identity: FileIdentity) {
  const offset = plan.startOffsets.get(path) ?? 0;
  if (offset === 0 || plan.startLines.has(path)) return;

  const lines = await countLines(path, offset, identity.isGzip).catch(() => undefined);
  if (lines !== undefined) plan.startLines.set(path, lines);
}

/** Newlines in the first `length` bytes of the content (decompressed for gzip). */
async function countLines(path: string, length: number, gzip: boolean): Promise<number> {
  const raw = createReadStream(path, gzip ? {} : { end: length - 1 });
  const content: AsyncIterable<Buffer> = gzip ? raw.pipe(createGunzip()) : raw;
  let lines = 0;
  let left = length;
  try {
    for await (const chunk of content) {
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      for (let at = part.indexOf(10); at !== -1; at = part.indexOf(10, at + 1)) lines += 1;
      left -= part.length;
      if (left === 0) break;
    }
  } finally {
    raw.destroy();
  }

  return lines;
}

/**
 * The state after a run: each file of the plan with the position reading ended at (the last
 * batch's `endOffset` and line), or where it started when nothing was read.
 */
export async function checkpointRun(
  plan: ResumePlan,
  ends: ReadonlyMap<string, ReadPosition>,
): Promise<ReadState> {
  const files: FileCheckpoint[] = [];

  for (const [path, identity] of plan.files) {
    const position = ends.get(path) ?? startOf(plan, path);
    const checkpoint =
      position === undefined
        ? skippedCheckpoint(path, identity)
        : await currentCheckpoint(path, identity, position);

    if (checkpoint !== undefined) {
      files.push(checkpoint);
    }
  }

  return { version: 1, tool: 'mxtriage', files, savedAt: new Date().toISOString() };
}

/** Where the plan starts reading `path`; undefined for a file it skips. */
function startOf(plan: ResumePlan, path: string): ReadPosition | undefined {
  const offset = plan.startOffsets.get(path);
  if (offset === undefined) return undefined;
  const lines = plan.startLines.get(path);
  return lines === undefined ? { offset } : { offset, lines };
}

function planFile(
  plan: ResumePlan,
  path: string,
  identity: FileIdentity,
  checkpoint: FileCheckpoint | undefined,
): void {
  if (checkpoint === undefined || (!identity.isGzip && identity.size < checkpoint.offset)) {
    plan.paths.push(path);
    plan.startOffsets.set(path, 0);
    return;
  }

  const isUnchangedGzip =
    identity.isGzip && identity.inode === checkpoint.inode && identity.size === checkpoint.size;

  if (isUnchangedGzip || (!identity.isGzip && identity.size === checkpoint.offset)) {
    plan.skipped.push(path);
    return;
  }

  plan.paths.push(path);
  plan.startOffsets.set(path, checkpoint.offset);
  if (checkpoint.lines !== undefined) plan.startLines.set(path, checkpoint.lines);
}

/** A checkpoint whose fingerprint matches the file's content start; same inode preferred. */
function findCheckpoint(
  identity: FileIdentity,
  unused: Set<FileCheckpoint>,
): FileCheckpoint | undefined {
  let found: FileCheckpoint | undefined;

  for (const checkpoint of unused) {
    if (!matchesFingerprint(identity.head, checkpoint.fingerprint)) {
      continue;
    }

    if (found === undefined || checkpoint.inode === identity.inode) {
      found = checkpoint;
    }
  }

  if (found !== undefined) {
    unused.delete(found);
  }

  return found;
}

function matchesFingerprint(head: Buffer, fingerprint: string): boolean {
  const length = Number(fingerprint.slice(0, fingerprint.indexOf(':')));

  // An empty file's fingerprint would match every file; its offset is 0 anyway.
  if (!(length > 0) || head.length < length) {
    return false;
  }

  return fingerprintOf(head.subarray(0, length)) === fingerprint;
}

function skippedCheckpoint(path: string, identity: FileIdentity): FileCheckpoint | undefined {
  const previous = identity.checkpoint;

  if (previous === undefined) {
    return undefined;
  }

  return checkpointOf(path, identity, previous);
}

function checkpointOf(
  path: string,
  identity: FileIdentity,
  position: ReadPosition,
): FileCheckpoint {
  const { inode, size } = identity;
  const { offset, lines } = position;
  const fingerprint = fingerprintOf(identity.head);
  return lines === undefined
    ? { path, inode, size, offset, fingerprint }
    : { path, inode, size, offset, lines, fingerprint };
}

/**
 * The checkpoint of a file that was read. When the path no longer holds the same file (it
 * was rotated during the run), the identity seen at planning is kept, so the next run finds
 * the file under its new name by its fingerprint.
 */
async function currentCheckpoint(
  path: string,
  planned: FileIdentity,
  position: ReadPosition,
): Promise<FileCheckpoint | undefined> {
  const now = await identify(path);
  const identity = now !== undefined && now.inode === planned.inode ? now : planned;

  if (identity.head.length === 0) {
    return undefined;
  }

  return checkpointOf(path, identity, position);
}

/** Inode, size and the first content bytes of a file; `undefined` when it cannot be read. */
async function identify(path: string): Promise<FileIdentity | undefined> {
  let handle;

  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }

  try {
    const stats = await handle.stat();

    if (!stats.isFile()) {
      return undefined;
    }

    const raw = Buffer.alloc(GZIP_HEAD_BYTES);
    const { bytesRead } = await handle.read(raw, 0, raw.length, 0);
    const start = raw.subarray(0, bytesRead);
    const gzip = isGzip(start);
    const content = gzip ? gunzipStart(start) : start;
    return { inode: stats.ino, size: stats.size, isGzip: gzip, head: fingerprintBytes(content) };
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/** The decompressed start of a gzip file; a sync flush accepts input that stops midway. */
function gunzipStart(compressed: Buffer): Buffer {
  try {
    return gunzipSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

/** The first line with its newline, or the first 256 bytes when the line is longer. */
function fingerprintBytes(content: Buffer): Buffer {
  const newline = content.indexOf(10);
  const end = newline === -1 ? content.length : newline + 1;
  return Buffer.from(content.subarray(0, Math.min(end, FINGERPRINT_BYTES)));
}

function fingerprintOf(head: Buffer): string {
  return `${head.length}:${createHash('sha256').update(head).digest('hex')}`;
}

function parseState(path: string, text: string): ReadState {
  let value: unknown;

  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MxtriageError('STATE', `Corrupt state file ${path}: not JSON (${messageOf(error)})`, {
      cause: error,
    });
  }

  const record = isRecord(value) ? value : {};

  if (record['tool'] !== 'mxtriage') {
    const message =
      `Not an mxtriage state file: ${path} ` +
      '(it has no "tool": "mxtriage"); give another --state path';
    throw new MxtriageError('STATE', message);
  }

  if (record['version'] !== 1) {
    const version = String(record['version']);
    const message =
      `Unsupported state file version ${version}: ${path} ` + '(this mxtriage reads version 1)';
    throw new MxtriageError('STATE', message);
  }

  const problem = findStateProblem(record);

  if (problem !== undefined) {
    throw new MxtriageError('STATE', `Corrupt state file ${path}: ${problem}`);
  }

  return record as unknown as ReadState;
}

function findStateProblem(record: Record<string, unknown>): string | undefined {
  const files = record['files'];

  if (typeof record['savedAt'] !== 'string') {
    return '"savedAt" is not a string';
  }

  if (!Array.isArray(files)) {
    return '"files" is not a list';
  }

  const index = files.findIndex((file) => !isCheckpoint(file));
  return index === -1 ? undefined : `files[${index}] is not a file checkpoint`;
}

function isCheckpoint(value: unknown): value is FileCheckpoint {
  if (!isRecord(value)) {
    return false;
  }

  const counts = [value['inode'], value['size'], value['offset']];
  const isCount = (count: unknown) => Number.isSafeInteger(count) && (count as number) >= 0;
  return (
    typeof value['path'] === 'string' &&
    typeof value['fingerprint'] === 'string' &&
    /^\d+:[0-9a-f]{64}$/.test(value['fingerprint']) &&
    counts.every(isCount) &&
    (value['lines'] === undefined || isCount(value['lines']))
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function writeSynced(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o644);

  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the rename durable; some file systems cannot sync a directory, which is harmless. */
async function syncDirectory(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Nothing to do: the rename itself has happened.
  }
}

/** Names the state file and its directory, not the temporary file the error came from. */
function writeError(path: string, error: unknown): MxtriageError {
  const directory = dirname(path);
  const reasons: Record<string, string> = {
    ENOENT: `the directory ${directory} does not exist`,
    ENOTDIR: `${directory} is not a directory`,
    EACCES: `no permission to write in ${directory}`,
    EPERM: `no permission to write in ${directory}`,
    EROFS: `${directory} is on a read-only file system`,
  };
  const reason = reasons[errorCode(error) ?? ''] ?? messageOf(error);
  return new MxtriageError('STATE', `Cannot write state file ${path}: ${reason}`, { cause: error });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
