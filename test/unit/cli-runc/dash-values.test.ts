// `update -r -` reads the resources from stdin: the lone "-" must reach the flag, not the positionals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { joinDashValues } from '../../../src/cli-runc/main.js';

test('"-" after --resources or -r joins it; elsewhere it stays', () => {
  assert.equal(joinDashValues(['update', '--resources', '-', 'c1']), ['update', '--resources=-', 'c1']);
  assert.equal(joinDashValues(['update', '-r', '-', 'c1']), ['update', '-r=-', 'c1']);
  assert.equal(joinDashValues(['update', '--memory', '-', 'c1']), ['update', '--memory', '-', 'c1']);
  assert.equal(joinDashValues(['update', '-r', 'file.json', '-']), ['update', '-r', 'file.json', '-']);
  assert.equal(joinDashValues(['-']), ['-']);
});

test.run();
