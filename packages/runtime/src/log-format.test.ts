import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseLogFormat } from './log-format.js';

describe('chooseLogFormat', () => {
  it('auto: pretty on a terminal, JSON on a pipe or under CI', () => {
    assert.equal(chooseLogFormat({ isTTY: true, env: {} }), 'pretty');
    assert.equal(chooseLogFormat({ setting: 'auto', isTTY: true, env: { CI: '' } }), 'pretty');
    assert.equal(chooseLogFormat({ setting: 'auto', isTTY: false, env: {} }), 'json');
    assert.equal(chooseLogFormat({ setting: 'auto', isTTY: undefined, env: {} }), 'json');
    assert.equal(chooseLogFormat({ setting: 'auto', isTTY: true, env: { CI: 'true' } }), 'json');
    assert.equal(chooseLogFormat({ setting: 'auto', isTTY: true, env: { CI: '1' } }), 'json');
  });

  it('pretty or json set: that one, terminal or not', () => {
    assert.equal(chooseLogFormat({ setting: 'json', isTTY: true, env: {} }), 'json');
    assert.equal(chooseLogFormat({ setting: 'pretty', isTTY: false, env: { CI: 'true' } }), 'pretty');
  });
});
