// Remembers how far each log was read, so a cron run reads only new lines, across logrotate:
// renamed, compressed and truncated files, without reading a line twice or skipping one.

import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import {
  access,
  open,
  readFile,
  readlink,
  realpath,
  rename,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';

import { MxtriageError } from '../errors.js';
import { describeWriteFailure } from '../write-errors.js';
import { gunzip } from './gunzip.js';
import { compressedTwins, orderInputs } from './order-inputs.js';
import { PlannedStarts } from './planned-starts.js';
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
  /** More of the content's start, to tell a copy of another input from a file of its own. */
  readonly sample: Buffer;
  /** The checkpoint this file continues, if any. */
  readonly checkpoint?: FileCheckpoint;
}

export interface ResumePlan {
  /** Inputs to read, oldest first. */
  readonly paths: string[];
  /** Where to start in each input, in the file opened at planning (see `readInputs`). */
  readonly startOffsets: PlannedStarts;
  /** Lines before each start offset, where the checkpoint knows them. */
  readonly startLines: Map<string, number>;
  /** Inputs with nothing new since the last run, and copies of other inputs. */
  readonly skipped: string[];
  /** Every file that could be opened, for `checkpointRun`. */
  readonly files: Map<string, FileIdentity>;
  /** The last run's checkpoints of inputs given again that could not be opened now (a
   *  permission, a directory in its place): kept, so a later run resumes where the last read
   *  stopped instead of reading the file again. */
  readonly unopened: FileCheckpoint[];
}

const FINGERPRINT_BYTES = 256;
const SAMPLE_BYTES = 4096;
const COUNT_CHUNK_BYTES = 256 * 1024;
/** Compressed bytes read to recover the first content bytes of a gzip file. */
const GZIP_HEAD_BYTES = 16 * 1024;

/** Where reading of one input ended: a byte offset (see `FileCheckpoint`) and the lines before
 *  it, when they are known (not after resuming from a state saved without them). */
export interface ReadPosition {
  readonly offset: number;
  readonly lines?: number;
}

/**
 * Where reading of `name` stands at byte `offset`, just after its line `lastLine`. The line
 * count is the file's own only when reading began at its start or where the plan knew the
 * count; otherwise none is saved, rather than a wrong one that later runs would carry on.
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
  const target = await stateTarget(path);
  try {
    await access(dirname(target), fsConstants.W_OK);
  } catch (error) {
    throw writeError(path, error, target);
  }
}

/** Writes the state atomically: a temporary file in the same directory, fsync, rename. */
export async function saveState(path: string, state: ReadState): Promise<void> {
  // A link is followed (the link stays, pointing at the new state), and a file that exists
  // keeps its mode; a new one is made as the umask says, since it names recipients.
  const target = await stateTarget(path);
  const mode = await stat(target).then(
    (stats) => stats.mode & 0o7777,
    () => undefined,
  );
  const temporary = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );

  try {
    await writeSynced(temporary, `${JSON.stringify(state, null, 2)}\n`, mode);
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw writeError(path, error, target);
  }

  await syncDirectory(dirname(target));
}

/** The file a state path stands for: through links, also a link to a file not made yet. */
async function stateTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const link = await readlink(path).catch(() => undefined);
    return link === undefined ? path : resolve(dirname(path), link);
  }
}

/**
 * Decides what to read so no line is read twice or skipped: a file that continues a
 * checkpoint (same content start, wherever it was renamed or compressed to) resumes at its
 * offset; a file with nothing new, or a copy of another input (logrotate between its copy and
 * its truncate, or still compressing), is skipped; any other file, including one truncated in
 * place (copytruncate), is read from its start. Each file to read stays open for the reader.
 */
export async function planResume(
  paths: readonly string[],
  state: ReadState | undefined,
): Promise<ResumePlan> {
  const plan: ResumePlan = {
    paths: [],
    startOffsets: new PlannedStarts(),
    startLines: new Map(),
    skipped: [],
    files: new Map(),
    unopened: [],
  };
  const ordered = orderInputs(paths);
  // A compressed twin of a plain copy is neither opened nor checkpointed: the reader says it
  // is left out, and the plain one's checkpoint follows the lines once it is gone.
  const twins = compressedTwins(ordered, existsSync);
  const opened = await openInputs(ordered.filter((path) => !twins.has(path)));
  const matches = matchCheckpoints(opened, state?.files ?? []);

  for (const path of ordered) {
    const file = opened.get(path);

    if (file === undefined) {
      // stdin, a compressed twin, or a file the reader will report as missing or unreadable.
      plan.paths.push(path);
      // Unless another input took it: the file was renamed (rotated) and goes on there.
      const kept = state?.files.find((checkpoint) => checkpoint.path === path);
      const taken = kept !== undefined && [...matches.checkpoints.values()].includes(kept);
      if (kept !== undefined && !taken && !twins.has(path)) plan.unopened.push(kept);
    } else if (matches.copies.has(path)) {
      plan.skipped.push(path);
      await file.handle.close();
    } else {
      const checkpoint = matches.checkpoints.get(path);
      const { identity } = file;
      plan.files.set(path, checkpoint === undefined ? identity : { ...identity, checkpoint });
      await planFile(plan, path, file, checkpoint);
      await countLinesBefore(plan, path, file);
    }
  }

  return plan;
}

/** A file the plan looked at, still open. */
interface OpenedFile {
  readonly identity: FileIdentity;
  readonly handle: FileHandle;
}

async function openInputs(paths: readonly string[]): Promise<Map<string, OpenedFile>> {
  const opened = new Map<string, OpenedFile>();

  for (const path of paths) {
    const file = path === '-' ? undefined : await openIdentified(path);
    if (file !== undefined) opened.set(path, file);
  }

  return opened;
}

interface CheckpointMatches {
  /** The checkpoint each file continues. */
  readonly checkpoints: Map<string, FileCheckpoint>;
  /** Files that start as another input does whose checkpoint they share: copies of it. */
  readonly copies: Set<string>;
}

/**
 * Gives each checkpoint to one file, over all the files at once: first to the file that still
 * has its inode and content start, then to a file of another inode with the same content start
 * (moved, copied or compressed; a plain file before a gzip one, which is made from it). A file
 * left that starts like a file that took the checkpoint is a copy being made of it.
 */
function matchCheckpoints(
  files: ReadonlyMap<string, OpenedFile>,
  checkpoints: readonly FileCheckpoint[],
): CheckpointMatches {
  const matches: CheckpointMatches = { checkpoints: new Map(), copies: new Set() };
  const unused = new Set(checkpoints);
  const take = (path: string, checkpoint: FileCheckpoint) => {
    unused.delete(checkpoint);
    matches.checkpoints.set(path, checkpoint);
  };

  for (const [path, { identity }] of files) {
    const own = findCheckpoint(identity, unused, ({ inode }) => inode === identity.inode);
    if (own !== undefined) take(path, own);
  }

  const others = [...files].filter(([path]) => !matches.checkpoints.has(path));
  others.sort(([, a], [, b]) => Number(a.identity.isGzip) - Number(b.identity.isGzip));

  for (const [path, { identity }] of others) {
    const moved = findCheckpoint(identity, unused, () => true);
    if (moved !== undefined) take(path, moved);
    else if (isCopyOfTaken(identity, files, matches.checkpoints)) matches.copies.add(path);
  }

  return matches;
}

/** The first checkpoint whose fingerprint matches the file's content start and that `fits`. */
function findCheckpoint(
  identity: FileIdentity,
  checkpoints: ReadonlySet<FileCheckpoint>,
  fits: (checkpoint: FileCheckpoint) => boolean,
): FileCheckpoint | undefined {
  for (const checkpoint of checkpoints) {
    if (fits(checkpoint) && matchesFingerprint(identity.head, checkpoint.fingerprint)) {
      return checkpoint;
    }
  }

  return undefined;
}

/** Whether a file starts as another input does that took a checkpoint with its fingerprint:
 *  the same content as far as both samples go. */
function isCopyOfTaken(
  identity: FileIdentity,
  files: ReadonlyMap<string, OpenedFile>,
  taken: ReadonlyMap<string, FileCheckpoint>,
): boolean {
  for (const [path, checkpoint] of taken) {
    const original = files.get(path)?.identity;
    if (original === undefined || !matchesFingerprint(identity.head, checkpoint.fingerprint)) {
      continue;
    }

    const length = Math.min(identity.sample.length, original.sample.length);
    if (identity.sample.subarray(0, length).equals(original.sample.subarray(0, length))) {
      return true;
    }
  }

  return false;
}

/** A checkpoint saved before line counts were kept: the lines before its offset are counted
 *  once, so that line numbers stay the file's own. Unknown when the file cannot be read. */
async function countLinesBefore(plan: ResumePlan, path: string, file: OpenedFile) {
  const offset = plan.startOffsets.get(path) ?? 0;
  if (offset === 0 || plan.startLines.has(path)) return;

  const lines = await countLines(file, offset).catch(() => undefined);
  if (lines !== undefined) plan.startLines.set(path, lines);
}

/** Newlines in the first `length` bytes of the content (decompressed for gzip). */
async function countLines({ handle, identity }: OpenedFile, length: number): Promise<number> {
  const raw = chunksOf(handle);
  const content = identity.isGzip ? gunzip(raw) : raw;
  let lines = 0;
  let left = length;

  for await (const chunk of content) {
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    for (let at = part.indexOf(10); at !== -1; at = part.indexOf(10, at + 1)) lines += 1;
    left -= part.length;
    if (left === 0) break;
  }

  return lines;
}

/** The file's bytes by positional reads, which leave the file open for the reader (a stream
 *  closes its file when it is destroyed). */
async function* chunksOf(handle: FileHandle): AsyncGenerator<Buffer> {
  for (let position = 0; ;) {
    const buffer = Buffer.alloc(COUNT_CHUNK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/**
 * The state after a run: each file of the plan with the position reading ended at (the last
 * batch's `endOffset` and line), or where it started when nothing was read. The planned files
 * no reader took are closed.
 */
export async function checkpointRun(
  plan: ResumePlan,
  ends: ReadonlyMap<string, ReadPosition>,
): Promise<ReadState> {
  await plan.startOffsets.closeUntaken();
  const files: FileCheckpoint[] = [...plan.unopened];

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

async function planFile(
  plan: ResumePlan,
  path: string,
  { identity, handle }: OpenedFile,
  checkpoint: FileCheckpoint | undefined,
): Promise<void> {
  const isPlain = !identity.isGzip;
  const isSameFile = checkpoint?.inode === identity.inode;
  const isShorter = checkpoint !== undefined && isPlain && identity.size < checkpoint.offset;

  if (checkpoint === undefined || (isShorter && isSameFile)) {
    plan.paths.push(path);
    plan.startOffsets.plan(path, 0, handle);
    return;
  }

  const isUnchangedGzip = !isPlain && isSameFile && identity.size === checkpoint.size;

  // A plain copy shorter than the offset was copied before the rest was read from its original.
  if (isUnchangedGzip || isShorter || (isPlain && identity.size === checkpoint.offset)) {
    plan.skipped.push(path);
    await handle.close();
    return;
  }

  plan.paths.push(path);
  plan.startOffsets.plan(path, checkpoint.offset, handle);
  if (checkpoint.lines !== undefined) plan.startLines.set(path, checkpoint.lines);
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

  // A plain copy shorter than the offset it took (see `planFile`) ends where its content does.
  if (!identity.isGzip && identity.size < previous.offset) {
    return checkpointOf(path, identity, { offset: identity.size });
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
  const file = await openIdentified(path);
  await file?.handle.close();
  return file?.identity;
}

/** A regular file, opened, and what it is; `undefined` when it cannot be read. */
async function openIdentified(path: string): Promise<OpenedFile | undefined> {
  let handle;

  try {
    // Only regular files have checkpoints; opening a named pipe would wait for its writer.
    if (!(await stat(path)).isFile()) return undefined;
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }

  const identity = await identifyOpened(handle).catch(() => undefined);
  if (identity === undefined) await handle.close();
  return identity === undefined ? undefined : { identity, handle };
}

async function identifyOpened(handle: FileHandle): Promise<FileIdentity | undefined> {
  const stats = await handle.stat();

  if (!stats.isFile()) {
    return undefined;
  }

  const raw = Buffer.alloc(GZIP_HEAD_BYTES);
  const { bytesRead } = await handle.read(raw, 0, raw.length, 0);
  const start = raw.subarray(0, bytesRead);
  const gzip = isGzip(start);
  const content = gzip ? gunzipStart(start) : start;
  return {
    inode: stats.ino,
    size: stats.size,
    isGzip: gzip,
    head: fingerprintBytes(content),
    sample: Buffer.from(content.subarray(0, SAMPLE_BYTES)),
  };
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
    const version = record['version'];
    const message =
      typeof version === 'number'
        ? `Unsupported state file version ${version}: ${path} (this mxtriage reads version 1)`
        : `Corrupt state file ${path}: "version" is not a number`;
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

async function writeSynced(path: string, text: string, mode: number | undefined): Promise<void> {
  const handle = await open(path, 'wx', mode ?? 0o644);

  try {
    if (mode !== undefined) await handle.chmod(mode);
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
function writeError(path: string, error: unknown, target = path): MxtriageError {
  const reason = describeWriteFailure(error, dirname(target));
  return new MxtriageError('STATE', `Cannot write state file ${path}: ${reason}`, { cause: error });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
