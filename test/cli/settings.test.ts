import test from 'ava';
import { dnsSettings } from '../../src/cli/settings.js';
import { PUBLIC_RESOLVERS } from '../../src/dns/resolv-conf.js';
import { runCli } from '../helpers/cli.js';

// Every role is named, so nothing is read from this machine's resolv.conf; nothing is asked.
const ROLES = { localResolver: ['127.0.0.1:9'], root: ['127.0.0.1:9'] };

test('--resolver public in any case expands to the public resolvers', async (t) => {
  const settings = await dnsSettings({ ...ROLES, resolver: ['127.0.0.1:5300', 'PUBLIC'] });

  t.deepEqual(settings?.roles.reference, [
    { address: '127.0.0.1', port: 5300 },
    ...PUBLIC_RESOLVERS,
  ]);
});

test('--offline still refuses a --resolver value that is no address', async (t) => {
  const error = await t.throwsAsync(dnsSettings({ ...ROLES, offline: true, resolver: ['Publik'] }));

  t.regex(error?.message ?? '', /^Invalid --resolver value: Publik: use public or an IP address/);
});

test('a TZ that Node.js cannot read is warned about, with what to do', async (t) => {
  const args = ['events', 'samples/postfix-mail.log'];
  const posix = await runCli(args, { env: { TZ: 'CET-1CEST,M3.5.0,M10.5.0/3' } });
  t.is(posix.code, 0, posix.stderr);
  t.true(
    posix.stderr.startsWith(
      'mxtriage: warning: TZ=CET-1CEST,M3.5.0,M10.5.0/3 is no time zone Node.js knows, ' +
        'so local times are read and shown as UTC: give --timezone',
    ),
    posix.stderr,
  );

  for (const tz of ['UTC', 'Etc/UTC', ':UTC', 'GMT', 'Europe/Berlin']) {
    t.is((await runCli(args, { env: { TZ: tz } })).stderr, '', tz);
  }

  const given = await runCli([...args, '--timezone', 'Europe/Berlin'], {
    env: { TZ: 'CET-1CEST,M3.5.0,M10.5.0/3' },
  });
  t.is(given.stderr, '', 'no warning when --timezone says which zone');
});
