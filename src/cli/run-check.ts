import Table from 'cli-table3';
import { normaliseDomain, type NormalisedDomain } from '../classify/domain.js';
import { displayName, escapeRawControls, stripControl } from '../classify/text.js';
import { diagnoseDomains } from '../dns/diagnose.js';
import { isValidDomainName } from '../dns/domain-name.js';
import { MxtriageError } from '../errors.js';
import type { Verdict } from '../model.js';
import { domainNameLabel } from '../output/notes.js';
import { SCHEMA_VERSION, verdictRecord } from '../output/records.js';
import { checkVerdicts } from '../verdict/check.js';
import { DEFAULTS } from './defaults.js';
import { exitCodeFor } from './exit-codes.js';
import { toNdjson } from './run-main.js';
import { dnsSettings, failOnKinds, text, warnInput } from './settings.js';
import type { RawOptions } from './settings.js';
import { terminalWidth, writeStdout } from './streams.js';

/** `mxtriage check DOMAIN...`: the DNS diagnosis for named domains, without a log. */
export async function runCheck(domains: string[], options: RawOptions): Promise<number> {
  const given = distinctDomains(domains, warnInput);
  const names = [...given.keys()];
  const failOn = failOnKinds(options);
  const dns = await dnsSettings(options);
  const diagnoses =
    dns === undefined ? undefined : await diagnoseDomains(names, dns.roles, dns.check);
  const verdicts = checkVerdicts(names, diagnoses, Date.now());
  const rows = names.map((domain) => ({
    domain,
    display: given.get(domain),
    verdict: verdicts.get(domain) as Verdict,
  }));

  await writeStdout(await renderCheck(rows, text(options, 'format') ?? DEFAULTS.format));
  return exitCodeFor({ kinds: rows.map((row) => row.verdict.kind), failOn });
}

/**
 * Each domain once, normalised as the re-check asks it (lower case, no trailing dot, A-label),
 * with its Unicode form when it is an IDN: `WOODGROVE.TEST.` after `woodgrove.test` is the same
 * domain, dropped with a warning.
 */
function distinctDomains(
  domains: readonly string[],
  warn: (message: string) => void,
): Map<string, string | undefined> {
  const seen = new Map<string, { given: string; display: string | undefined }>();

  for (const given of domains) {
    const { domain, display } = checkedDomain(given);
    const first = seen.get(domain);
    if (first === undefined) seen.set(domain, { given, display });
    else if (given === first.given) warn(`${displayName(given)} is given twice: checked once`);
    else
      warn(`${displayName(given)} is the same domain as ${displayName(first.given)}: checked once`);
  }

  return new Map([...seen].map(([domain, { display }]) => [domain, display]));
}

function checkedDomain(text: string): NormalisedDomain {
  const normalised = normaliseDomain(text);
  if (!isValidDomainName(normalised.domain)) {
    throw new MxtriageError(
      'USAGE',
      `Invalid domain: ${displayName(text)}: give a domain name such as example.com`,
    );
  }

  return normalised;
}

async function renderCheck(
  rows: readonly { domain: string; display: string | undefined; verdict: Verdict }[],
  format: string,
): Promise<string> {
  const records = rows.map((row) => ({
    type: 'check',
    domain: row.domain,
    ...(row.display === undefined ? {} : { domainDisplay: row.display }),
    verdict: verdictRecord(row.verdict),
  }));
  if (format === 'ndjson') return toNdjson(records);
  if (format === 'json') {
    const document = { schemaVersion: SCHEMA_VERSION, checks: records };
    return `${escapeRawControls(JSON.stringify(document, null, 2))}\n`;
  }

  const table = new Table({
    head: ['domain', 'verdict', 'reason'],
    style: { head: [], border: [] },
    colWidths: [null, null, Math.max(40, terminalWidth() - 50)],
    wordWrap: true,
  });
  for (const { domain, display, verdict } of rows) {
    const kind =
      verdict.detail === undefined ? verdict.kind : `${verdict.kind} (${verdict.detail})`;
    table.push([domainNameLabel(domain, display), kind, stripControl(verdict.reason ?? '')]);
  }

  return `${table.toString()}\n`;
}
