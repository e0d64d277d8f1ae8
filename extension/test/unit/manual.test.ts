import assert from 'node:assert/strict';
import { test } from 'node:test';

import { firstCodeBlock } from '../../src/answers';
import { manualPage, wordAt } from '../../src/manual';

test('finds the word under the cursor', () => {
  const line = '  aSig  moogladder aMix, kCut, 0.6';
  assert.equal(wordAt(line, 10), 'moogladder');
  assert.equal(wordAt(line, 8), 'moogladder'); // at the start
  assert.equal(wordAt(line, 18), 'moogladder'); // just after the end
  assert.equal(wordAt(line, 3), 'aSig');
  assert.equal(wordAt(line, 32), undefined); // on 0.6
  assert.equal(wordAt('0dbfs = 1', 2), '0dbfs');
  assert.equal(wordAt('#include "x.udo"', 3), 'include');
  assert.equal(wordAt('aOut = vco2:a(0.3, 220)', 9), 'vco2');
  assert.equal(wordAt('', 0), undefined);
});

test('maps words to manual pages, case-insensitively, else online', () => {
  const files = ['moogladder.html', 'GEN10.html', 'Zerodbfs.html', 'vco2.html'];
  assert.deepEqual(manualPage('moogladder', files), { kind: 'local', file: 'moogladder.html' });
  assert.deepEqual(manualPage('gen10', files), { kind: 'local', file: 'GEN10.html' });
  assert.deepEqual(manualPage('0dbfs', files), { kind: 'local', file: 'Zerodbfs.html' });
  assert.deepEqual(manualPage('reverbsc', files), { kind: 'online', url: 'https://csound.com/docs/manual/reverbsc.html' });
});

test('takes the CSD out of a generated answer', () => {
  const csd = '<CsoundSynthesizer>\n</CsoundSynthesizer>\n';
  assert.equal(firstCodeBlock('This CSD compiles (round 1):\n\n```csound\n' + csd + '```'), csd);
  assert.equal(firstCodeBlock(csd), csd);
  assert.equal(firstCodeBlock('No compiling CSD.'), undefined);
});
