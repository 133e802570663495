import test from 'ava';
import { dnsSettings } from '../../src/cli/settings.js';
import { PUBLIC_RESOLVERS } from '../../src/dns/resolv-conf.js';

// Every role is named, so nothing is read from this machine's resolv.conf; nothing is asked.
const ROLES = { localResolver: ['127.0.0.1:9'], root: ['127.0.0.1:9'] };

test('--resolver public in any case expands to the public resolvers, addresses as given', async (t) => {
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
