import {
  appendFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';

import { MxtriageError } from '../../src/errors.js';
import { readInputs, type LineBatch } from '../../src/input/read-inputs.js';
import {
  checkpointRun,
  loadState,
  planResume,
  readPosition,
  saveState,
  type ReadPosition,
} from '../../src/input/state.js';

const test = anyTest as TestFn<{ dir: string }>;

test.beforeEach(async (t) => {
  t.context.dir = await mkdtemp(join(tmpdir(), 'mxtriage-state-'));
});

test.afterEach.always(async (t) => {
  await rm(t.context.dir, { recursive: true, force: true });
});

test('a missing state file is no state', async (t) => {
  t.is(await loadState(join(t.context.dir, 'state.json')), undefined);
});

test('a saved state loads back the same and leaves no temporary file', async (t) => {
  const path = join(t.context.dir, 'state.json');
  const state = {
    version: 1,
    tool: 'mxtriage',
    files: [
      {
        path: '/var/log/mail.log',
        inode: 42,
        size: 900,
        offset: 800,
        fingerprint: `81:${'a'.repeat(64)}`,
      },
    ],
    savedAt: '2026-12-03T20:00:00.000Z',
  } as const;
  await saveState(path, state);

  t.deepEqual(await loadState(path), state);
  t.deepEqual(await readdir(t.context.dir), ['state.json']);
});

test.serial('a new state file is made as the umask says: it names recipients', async (t) => {
  const path = join(t.context.dir, 'private.json');
  const previous = process.umask(0o077);
  try {
    await saveState(path, { version: 1, tool: 'mxtriage', files: [], savedAt: 'x' });
  } finally {
    process.umask(previous);
  }

  t.is((await stat(path)).mode & 0o777, 0o600);
});

test('a state behind a link to a file not made yet is saved there, the link kept', async (t) => {
  const target = join(t.context.dir, 'states', 'real.json');
  const link = join(t.context.dir, 'link.json');
  await mkdir(join(t.context.dir, 'states'));
  await symlink(target, link);

  await saveState(link, { version: 1, tool: 'mxtriage', files: [], savedAt: 'x' });

  t.true((await lstat(link)).isSymbolicLink());
  t.is(JSON.parse(await readFile(target, 'utf8')).tool, 'mxtriage');
});

test('saving replaces the old state in one step', async (t) => {
  const path = join(t.context.dir, 'state.json');
  await writeFile(path, 'old');
  await saveState(path, {
    version: 1,
    tool: 'mxtriage',
    files: [],
    savedAt: '2026-12-03T20:00:00.000Z',
  });

  t.is(JSON.parse(await readFile(path, 'utf8')).tool, 'mxtriage');
});

test('saving into a missing directory is a state error naming the file', async (t) => {
  const path = join(t.context.dir, 'no', 'state.json');
  const error = await t.throwsAsync(
    saveState(path, {
      version: 1,
      tool: 'mxtriage',
      files: [],
      savedAt: '2026-12-03T20:00:00.000Z',
    }),
    { instanceOf: MxtriageError },
  );

  t.is(error?.code, 'STATE');
  t.true(error?.message.startsWith(`Cannot write state file ${path}: `));
});

const refusesState = test.macro({
  async exec(t, content: string, message: (path: string) => string) {
    const path = join(t.context.dir, 'state.json');
    await writeFile(path, content);
    const error = await t.throwsAsync(loadState(path), { instanceOf: MxtriageError });

    t.is(error?.code, 'STATE');
    t.is(error?.message, message(path));
  },
  title: (given = '') => `a state file ${given} is refused with a clear message`,
});

test(
  'that is empty',
  refusesState,
  '',
  (path) => `Corrupt state file ${path}: not JSON (Unexpected end of JSON input)`,
);
test(
  'that is cut short',
  refusesState,
  '{"version":1,"tool":"mxtr',
  (path) => `Corrupt state file ${path}: not JSON (Unterminated string in JSON at position 25)`,
);
test(
  'written by another tool',
  refusesState,
  '{"version":1,"files":[]}',
  (path) =>
    `Not an mxtriage state file: ${path} (it has no "tool": "mxtriage"); give another --state path`,
);
test(
  'that is a JSON list',
  refusesState,
  '[]',
  (path) =>
    `Not an mxtriage state file: ${path} (it has no "tool": "mxtriage"); give another --state path`,
);
test(
  'of a newer version',
  refusesState,
  '{"version":2,"tool":"mxtriage","files":[],"savedAt":"x"}',
  (path) => `Unsupported state file version 2: ${path} (this mxtriage reads version 1)`,
);
test(
  'whose version is no number',
  refusesState,
  '{"version":"1","tool":"mxtriage","files":[],"savedAt":"x"}',
  (path) => `Corrupt state file ${path}: "version" is not a number`,
);
test(
  'with a broken checkpoint',
  refusesState,
  '{"version":1,"tool":"mxtriage","savedAt":"x","files":[{"path":"a","inode":1,"size":1,"offset":-1,"fingerprint":"1:x"}]}',
  (path) => `Corrupt state file ${path}: files[0] is not a file checkpoint`,
);

test('new lines appended between runs are read once', async (t) => {
  const log = new LogDir(t.context.dir);
  await log.append(3);

  t.deepEqual(await log.run(), ['L1', 'L2', 'L3']);
  t.deepEqual(await log.run(), []);
  await log.append(2);
  t.deepEqual(await log.run(), ['L4', 'L5']);
});

test('a rename, gzip and new file rotation is followed', async (t) => {
  const log = new LogDir(t.context.dir);
  await log.append(3);
  t.deepEqual(await log.run(), ['L1', 'L2', 'L3']);

  await log.append(1);
  await log.rotate({ compress: true, delaycompress: false });
  await log.append(1);
  t.deepEqual(await log.run(), ['L4', 'L5']);

  await log.append(1);
  t.deepEqual(await log.run(), ['L6']);

  await log.rotate({ compress: true, delaycompress: false });
  await log.append(1);
  const plan = await planResume(await log.files(), await loadState(log.statePath));
  await plan.startOffsets.closeUntaken();
  t.deepEqual(plan.skipped, [join(t.context.dir, 'mail.log.2.gz')]);
  t.deepEqual(await log.run(), ['L7']);
  t.deepEqual(await log.run(), []);
});

test('a delayed-compression rotation is followed through the plain and the gzip copy', async (t) => {
  const log = new LogDir(t.context.dir);
  await log.append(2);
  t.deepEqual(await log.run(), ['L1', 'L2']);

  await log.append(1);
  await log.rotate({ compress: true, delaycompress: true });
  await log.append(1);
  t.deepEqual(await log.run(), ['L3', 'L4']);

  await log.append(1);
  await log.rotate({ compress: true, delaycompress: true });
  t.deepEqual(
    await log.files(),
    ['mail.log', 'mail.log.1', 'mail.log.2.gz'].map((name) => join(t.context.dir, name)),
  );
  await log.append(1);
  t.deepEqual(await log.run(), ['L5', 'L6']);
});

test('a copytruncate rotation reads the rest of the copy and the truncated file from its start', async (t) => {
  const log = new LogDir(t.context.dir);
  await log.append(3);
  t.deepEqual(await log.run(), ['L1', 'L2', 'L3']);

  await log.append(2);
  await log.copytruncate({ compress: false });
  await log.append(1);
  t.deepEqual(await log.run(), ['L4', 'L5', 'L6']);

  await log.append(1);
  await log.copytruncate({ compress: true });
  t.deepEqual(await log.run(), ['L7']);
  await log.append(1);
  t.deepEqual(await log.run(), ['L8']);
});

test('a file truncated in place to less than was read is read from its start', async (t) => {
  const log = new LogDir(t.context.dir);
  await log.append(3);
  await log.run();
  await truncate(log.live, 0);
  await log.append(1);

  t.deepEqual(await log.run(), ['L4']);
});

test('a file rewritten in place with the same first line but shorter is read from its start', async (t) => {
  const log = new LogDir(t.context.dir);
  await writeFile(log.live, '# header\nL1\nL2\nL3\n');
  t.deepEqual(await log.run(), ['# header', 'L1', 'L2', 'L3']);

  await truncate(log.live, 0);
  await appendFile(log.live, '# header\nL4\n');
  t.deepEqual(await log.run(), ['# header', 'L4']);
});

test('files with the same first line are told apart by their inode', async (t) => {
  const log = new LogDir(t.context.dir);
  await writeFile(join(t.context.dir, 'mail.log.1'), '# header\nA1\nA2\n');
  await writeFile(log.live, '# header\nB1\n');
  t.deepEqual(await log.run(), ['# header', 'A1', 'A2', '# header', 'B1']);

  const state = await loadState(log.statePath);
  await saveState(log.statePath, { ...state!, files: [...state!.files].reverse() });
  await appendFile(log.live, 'B2\n');
  t.deepEqual(await log.run(), ['B2']);
});

test("a state saved without line counts gets them counted, so numbers stay the file's own", async (t) => {
  const log = new LogDir(t.context.dir);
  await log.append(5);
  await log.run();
  const state = await loadState(log.statePath);
  const files = state!.files.map(({ lines: _lines, ...file }) => file);
  await saveState(log.statePath, { ...state!, files });

  await log.append(2);
  t.deepEqual(await log.run(), ['L6', 'L7']);
  await log.rotate({ compress: true, delaycompress: false });
  await log.append(1);
  t.deepEqual(await log.run(), ['L8']);
  t.deepEqual(log.misnumbered, []);
  t.is((await loadState(log.statePath))!.files.find((file) => file.path === log.live)?.lines, 1);
});

test('a file rotated while it was being read is found again under its new name', async (t) => {
  const log = new LogDir(t.context.dir);
  await log.append(2);
  const plan = await planResume(await log.files(), undefined);
  const { lines, ends } = await read(plan);
  await log.append(1);
  await log.rotate({ compress: false, delaycompress: false });
  await saveState(log.statePath, await checkpointRun(plan, ends));
  await log.append(1);

  t.deepEqual(lines, ['L1', 'L2']);
  t.deepEqual(await log.run(), ['L3', 'L4']);
});

test('any run of appends, rotations and reads gives every line once, in order, with its number', async (t) => {
  const action = fc.oneof(
    fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('run' as const) }),
    fc.record({
      kind: fc.constant('rotate' as const),
      compress: fc.boolean(),
      delaycompress: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('copytruncate' as const), compress: fc.boolean() }),
  );
  let round = 0;
  const property = fc.asyncProperty(fc.array(action, { maxLength: 14 }), async (actions) => {
    const log = new LogDir(join(t.context.dir, `round-${round++}`));
    await log.create();
    const seen: string[] = [];

    for (const step of actions) {
      if (step.kind === 'append') {
        await log.append(step.count);
      } else if (step.kind === 'run') {
        seen.push(...(await log.run()));
      } else if (step.kind === 'rotate') {
        await log.rotate(step);
      } else {
        await log.copytruncate(step);
      }
    }

    seen.push(...(await log.run()));
    t.deepEqual(seen, log.written);
    t.deepEqual(log.misnumbered, []);
  });

  await t.notThrowsAsync(fc.assert(property, { numRuns: 60 }));
});

const SAMPLE_LINES = readFileSync(
  new URL('../../samples/postfix-mail.log', import.meta.url),
  'utf8',
)
  .trimEnd()
  .split('\n');
/** Three runs' worth of real Postfix lines, each part starting with its own line. */
const PART = [SAMPLE_LINES.slice(0, 100), SAMPLE_LINES.slice(100, 150), SAMPLE_LINES.slice(150)];

function linesText(lines: readonly string[] | undefined): string {
  return `${(lines ?? []).join('\n')}\n`;
}

/** One `summary --state` run over `names` in `dir`: the lines it read. */
async function resumeRun(dir: string, names: readonly string[]): Promise<string[]> {
  const statePath = join(dir, 'state.json');
  const plan = await planResume(
    names.map((name) => join(dir, name)),
    await loadState(statePath),
  );
  const { lines, ends } = await read(plan);
  await saveState(statePath, await checkpointRun(plan, ends));
  return lines;
}

test('a run between the copy and the truncate of copytruncate reads each line once', async (t) => {
  const { dir } = t.context;
  await writeFile(join(dir, 'mail.log'), linesText(PART[0]));
  t.deepEqual(await resumeRun(dir, ['mail.log']), PART[0]);

  await appendFile(join(dir, 'mail.log'), linesText(PART[1]));
  await writeFile(join(dir, 'mail.log.1'), await readFile(join(dir, 'mail.log')));
  t.deepEqual(await resumeRun(dir, ['mail.log.1', 'mail.log']), PART[1]);

  await truncate(join(dir, 'mail.log'), 0);
  await appendFile(join(dir, 'mail.log'), linesText(PART[2]));
  t.deepEqual(await resumeRun(dir, ['mail.log.1', 'mail.log']), PART[2]);
  t.deepEqual(await resumeRun(dir, ['mail.log.1', 'mail.log']), []);
});

test('a run while logrotate still compresses the rotated log reads each line once', async (t) => {
  const { dir } = t.context;
  const rotated = join(dir, 'mail.log.1');
  await writeFile(join(dir, 'mail.log'), linesText(PART[0]));
  t.deepEqual(await resumeRun(dir, ['mail.log']), PART[0]);

  await appendFile(join(dir, 'mail.log'), linesText(PART[1]));
  await rename(join(dir, 'mail.log'), rotated);
  await writeFile(join(dir, 'mail.log'), '');
  const compressed = gzipSync(await readFile(rotated));
  // gzip is half done: logrotate removes the plain copy only when it has finished.
  await writeFile(`${rotated}.gz`, compressed.subarray(0, compressed.length / 2));
  t.deepEqual(await resumeRun(dir, ['mail.log.1', 'mail.log.1.gz', 'mail.log']), PART[1]);

  await writeFile(`${rotated}.gz`, compressed);
  await unlink(rotated);
  await appendFile(join(dir, 'mail.log'), linesText(PART[2]));
  t.deepEqual(await resumeRun(dir, ['mail.log.1.gz', 'mail.log']), PART[2]);
});

test('a file that only shares its first line with a read one is read from its start', async (t) => {
  const { dir } = t.context;
  const first = SAMPLE_LINES[0] ?? '';
  await writeFile(join(dir, 'mail.log'), linesText([first, ...(PART[1] ?? [])]));
  t.deepEqual(await resumeRun(dir, ['mail.log']), [first, ...(PART[1] ?? [])]);

  await writeFile(join(dir, 'other.log'), linesText([first, ...(PART[2] ?? [])]));
  t.deepEqual(await resumeRun(dir, ['mail.log', 'other.log']), [first, ...(PART[2] ?? [])]);
});

test('a log rotated between planning and reading is read where the plan left it', async (t) => {
  const { dir } = t.context;
  await writeFile(join(dir, 'mail.log'), linesText(PART[0]));
  t.deepEqual(await resumeRun(dir, ['mail.log']), PART[0]);
  await appendFile(join(dir, 'mail.log'), linesText(PART[1]));
  const statePath = join(dir, 'state.json');
  const plan = await planResume([join(dir, 'mail.log')], await loadState(statePath));

  // logrotate's rename and create, while the run is still busy with earlier inputs.
  await rename(join(dir, 'mail.log'), join(dir, 'mail.log.1'));
  await writeFile(join(dir, 'mail.log'), linesText(PART[2]));
  const { lines, ends } = await read(plan);
  await saveState(statePath, await checkpointRun(plan, ends));

  t.deepEqual(lines, PART[1]);
  t.deepEqual(await resumeRun(dir, ['mail.log.1', 'mail.log']), PART[2]);
});

/** A log directory that logrotate acts on: `mail.log`, `mail.log.N`, `mail.log.N.gz`. */
class LogDir {
  readonly written: string[] = [];
  /** Lines a run gave a number other than their place in their file. */
  readonly misnumbered: string[] = [];
  readonly statePath: string;
  readonly live: string;

  constructor(readonly dir: string) {
    this.statePath = join(dir, 'state.json');
    this.live = join(dir, 'mail.log');
  }

  async create(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async append(count: number): Promise<void> {
    let text = '';

    for (let index = 0; index < count; index++) {
      const line = `L${this.written.length + 1}`;
      this.written.push(line);
      text += `${line}\n`;
    }

    await appendFile(this.live, text);
  }

  async files(): Promise<string[]> {
    const names = await readdir(this.dir);
    return names
      .filter((name) => name.startsWith('mail.log'))
      .sort()
      .map((name) => join(this.dir, name));
  }

  /** Rename rotation: shift the copies, move the live file to `.1`, start a new live file. */
  async rotate(options: { compress: boolean; delaycompress: boolean }): Promise<void> {
    await this.shift();
    await rename(this.live, join(this.dir, 'mail.log.1')).catch(() => undefined);

    if (options.compress && options.delaycompress) {
      await this.gzip('mail.log.2');
    } else if (options.compress) {
      await this.gzip('mail.log.1');
    }

    await appendFile(this.live, '');
  }

  /** copytruncate: copy the live file to `.1` (maybe compressed), then empty it in place. */
  async copytruncate(options: { compress: boolean }): Promise<void> {
    await this.shift();
    const content = await readFile(this.live).catch(() => Buffer.alloc(0));
    await (options.compress
      ? writeFile(join(this.dir, 'mail.log.1.gz'), gzipSync(content))
      : writeFile(join(this.dir, 'mail.log.1'), content));
    await appendFile(this.live, '');
    await truncate(this.live, 0);
  }

  async run(): Promise<string[]> {
    const plan = await planResume(await this.files(), await loadState(this.statePath));
    const { lines, ends, misnumbered } = await read(plan);
    this.misnumbered.push(...misnumbered);
    await saveState(this.statePath, await checkpointRun(plan, ends));
    return lines;
  }

  private async shift(): Promise<void> {
    const copies = (await readdir(this.dir))
      .map((name) => /^mail\.log\.(\d+)(\.gz)?$/.exec(name))
      .filter((match) => match !== null)
      .sort((a, b) => Number(b[1]) - Number(a[1]));

    for (const [name, number, gz = ''] of copies) {
      await rename(join(this.dir, name), join(this.dir, `mail.log.${Number(number) + 1}${gz}`));
    }
  }

  private async gzip(name: string): Promise<void> {
    const path = join(this.dir, name);
    const content = await readFile(path).catch(() => undefined);

    if (content !== undefined) {
      await writeFile(`${path}.gz`, gzipSync(content));
      await unlink(path);
    }
  }
}

/**
 * Reads the plan as `summary --state` does. `misnumbered` lists the lines whose number is not
 * their place in the file as it is now (read again here, decompressed).
 */
async function read(plan: Awaited<ReturnType<typeof planResume>>): Promise<{
  lines: string[];
  ends: Map<string, ReadPosition>;
  misnumbered: string[];
}> {
  const lines: string[] = [];
  const ends = new Map<string, ReadPosition>();
  const misnumbered: string[] = [];
  const options = { startOffsets: plan.startOffsets, startLines: plan.startLines };

  for await (const item of readInputs(plan.paths, options)) {
    if (item.kind === 'lines') {
      lines.push(...item.lines);
      const offset = item.endOffset!;
      const lastLine = item.firstLine - 1 + item.lines.length;
      ends.set(item.input.name, readPosition(plan, item.input.name, { offset, lastLine }));
      misnumbered.push(...(await misnumberedIn(item)));
    } else if (item.kind === 'problem' || !item.message.startsWith('Left out: ')) {
      // A compressed twin left out for its plain copy is no problem: it is read once.
      throw item.kind === 'problem' ? item.error : new Error(item.message);
    }
  }

  return { lines, ends, misnumbered };
}

async function misnumberedIn(batch: LineBatch): Promise<string[]> {
  const content = await readFile(batch.input.name);
  const text = (content[0] === 0x1f ? gunzipSync(content) : content).toString('utf8');
  const fileLines = text.split('\n');
  return batch.lines
    .map((line, index) => ({ line, number: batch.firstLine + index }))
    .filter(({ line, number }) => fileLines[number - 1] !== line)
    .map(({ line, number }) => `${batch.input.name}:${number} ${line}`);
}
