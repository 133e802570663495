import { spawnSync } from 'node:child_process';
import { startDnsLab } from './dns-lab.js';
import { formatServer } from '../../src/dns/resolv-conf.js';

// Starts the DNS lab and runs `mxtriage ARGS` with every DNS role pointed at it, for trying the
// tool by hand: `node --import tsx test/helpers/lab-shell.ts samples/postfix-mail.log`.
// With LAB_LOCAL=dead the local resolver is the lab's stopped one; with LAB_REFERENCE=validating
// the lab's validating resolver is a reference resolver too (for the DNSSEC verdicts).
const lab = await startDnsLab();
try {
  const local = process.env['LAB_LOCAL'] === 'dead' ? lab.deadResolver : lab.resolver;
  const reference =
    process.env['LAB_REFERENCE'] === 'validating'
      ? ['--resolver', formatServer(lab.validatingResolver)]
      : [];
  const args = [
    '--import',
    'tsx',
    'test/helpers/run-cli.ts',
    ...process.argv.slice(2),
    '--local-resolver',
    formatServer(local),
    '--root-hints',
    lab.rootHintsFile,
    ...reference,
  ];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
} finally {
  await lab.stop();
}
