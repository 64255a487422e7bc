import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toCsv as fleetCsv } from '../../renderer/src/pages/fleet/model.js';
import { csvCell, fileStamp } from '../../renderer/src/lib/export-file.js';

/** The export helpers the Findings, Fleet and Policy pages share. */

test('csvCell: plain values as they are, empty for null/undefined', () => {
  assert.equal(csvCell('github'), 'github');
  assert.equal(csvCell(3), '3');
  assert.equal(csvCell(false), 'false');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(undefined), '');
});

test('csvCell: quotes a cell holding a quote, comma or line break', () => {
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('one\ntwo'), '"one\ntwo"');
  assert.equal(csvCell('one\r\ntwo'), '"one\r\ntwo"');
});

test('csvCell: a formula-leading value is neutralised for spreadsheets', () => {
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('-1'), "'-1");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tx'), "'\tx");
  assert.equal(csvCell('\rx'), '"\'\rx"');
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvCell('a=b'), 'a=b');
});

test('csvCell: arrays joined with spaces, objects as JSON', () => {
  assert.equal(csvCell(['m1', 'm2']), 'm1 m2');
  assert.equal(csvCell({ critical: 1 }), '"{""critical"":1}"');
});

test('fileStamp: UTC, no characters file systems refuse', () => {
  assert.equal(fileStamp(new Date('2026-12-02T15:20:07.123Z')), '2026-12-02-15-20-07');
  assert.match(fileStamp(), /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/);
});

test('Fleet CSV: header of the columns shown, CRLF rows, cells through csvCell', () => {
  const csv = fleetCsv(
    [
      { name: 'gh', machines: ['a', 'b'], note: '=cmd' },
      { name: 'x,y', machines: [] },
    ],
    ['name', 'machines', 'note'],
  );
  assert.equal(csv, 'name,machines,note\r\ngh,a b,\'=cmd\r\n"x,y",,\r\n');
});
