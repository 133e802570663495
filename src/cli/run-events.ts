import { once } from 'node:events';
import { eventRecord } from '../output/records.js';
import { exitCodeFor } from './exit-codes.js';
import { createHeapGuard } from './heap-guard.js';
import { readEvents } from '../pipeline/read-events.js';
import { readSettings, resolveFiles, warnInput } from './settings.js';
import type { RawOptions } from './settings.js';
import { loadNdjson, reportDiagnostics } from './run-main.js';
import { createBatcher } from './streams.js';

/** `mxtriage events`: every parsed delivery event as NDJSON, streamed with back-pressure. */
export async function runEvents(files: string[], options: RawOptions): Promise<number> {
  const paths = resolveFiles(files, warnInput);
  const settings = readSettings(options, Date.now());
  const serialiser = (await loadNdjson()).stringify();
  const batcher = serialiser.pipe(createBatcher());
  batcher.pipe(process.stdout);
  let blocked = false;
  const guardHeap = createHeapGuard();

  const counts = await readEvents(
    paths,
    {
      event(event) {
        if (settings.since !== undefined && event.time < settings.since) return;
        if (settings.until !== undefined && event.time >= settings.until) return;
        if (!serialiser.write(eventRecord(event))) blocked = true;
      },
      async batch() {
        guardHeap.check();
        if (!blocked) return;
        blocked = false;
        await once(serialiser, 'drain');
      },
    },
    settings,
  );

  serialiser.end();
  await once(batcher, 'end');
  reportDiagnostics(counts);
  return exitCodeFor({ inputErrors: counts.inputErrors.length });
}
