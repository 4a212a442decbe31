// tsctr check's networking rows: plugins found, and a throwaway network set
// up, checked and torn down without leaving its bridge, veth or rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rootTest } from '../../helpers/root.js';
import { Env } from '../../helpers/tsctr.js';
import { HAVE_CNI, iptablesLines } from './net-helper.js';

let env: Env;
test.before(() => { env = new Env('net-check'); });
test.after(() => env.cleanup());

const t = HAVE_CNI ? rootTest : (_: typeof test, name: string) => { console.log(`  SKIP ${name}: containernetworking-plugins or iptables not installed`); };

t(test, 'check: cni plugins and iptables ok; the throwaway network is added, checked, deleted and gone', () => {
  const cli = spawnSync('sh', ['-c', 'echo $$; exec "$@"', 'sh', process.execPath, ...env.args(['check', '--json'])], { encoding: 'utf8' });
  const [pidLine, ...json] = cli.stdout.split('\n');
  const pid = Number(pidLine);
  const rows = JSON.parse(json.join('\n')).results as { name: string; status: string; detail: string }[];
  const row = (n: string) => rows.find((x) => x.name === n)!;
  assert.is(row('cni plugins').status, 'ok', row('cni plugins').detail);
  assert.is(row('iptables').status, 'ok');
  assert.is(row('cni network').status, 'ok', row('cni network').detail);
  assert.match(row('cni network').detail, /^ADD \(10\.213\.255\.\d+\), CHECK, DEL/);
  assert.is(row('cni network').detail.match(/10\.213\.255\.(\d+)/)![1], String((pid % 32) * 8 + 2), 'the /29 of this pid');
  // Other suites may run tsctr check at the same time: look for this run's own bridge only.
  assert.not.ok(existsSync(`/sys/class/net/tsck${(pid % 0xffffff).toString(16)}`), 'the probe bridge is gone');
  assert.equal(iptablesLines(`tsctr-check-${pid}"`), []);

});

test.run();
