import test from 'ava';
import { jsonPieces } from '../../src/cli/run-main.js';
import type { Analysis } from '../../src/model.js';
import {
  groupRecord,
  incidentRecord,
  SCHEMA_VERSION,
  summaryRecord,
} from '../../src/output/records.js';
import { labAnalysis } from '../output/helpers.js';

/** The document as one `JSON.stringify`, which the pieces must spell out exactly. */
function wholeDocument(analysis: Analysis): string {
  const { type: _type, ...summary } = summaryRecord(analysis);
  const document = {
    schemaVersion: SCHEMA_VERSION,
    summary,
    groups: analysis.groups.map(groupRecord),
    incidents: analysis.incidents.map(incidentRecord),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

test('the JSON document written in pieces is the document written at once', (t) => {
  const analysis = labAnalysis();
  const pieces = [...jsonPieces(analysis)];

  t.true(analysis.groups.length > 3 && analysis.incidents.length > 3);
  t.true(pieces.length > analysis.groups.length);
  t.is(pieces.join(''), wholeDocument(analysis));
});

test('a JSON document without groups or incidents has empty lists', (t) => {
  const analysis = { ...labAnalysis(), groups: [], incidents: [] };
  const text = [...jsonPieces(analysis)].join('');

  t.is(text, wholeDocument(analysis));
  t.regex(text, /"groups": \[\],\n {2}"incidents": \[\]\n\}\n$/);
});
