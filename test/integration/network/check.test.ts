// tsctr check's networking rows: plugins found, and a throwaway network set
// up, checked and torn down without leaving its bridge, veth or rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { rootTest } from '../../helpers/root.js';
import { Env } from '../../helpers/tsctr.js';
import { HAVE_CNI, iptablesLines } from './net-helper.js';

let env: Env;
test.before(() => { env = new Env('net-check'); });
test.after(() => env.cleanup());

const t = HAVE_CNI ? rootTest : (_: typeof test, name: string) => { console.log(`  SKIP ${name}: containernetworking-plugins or iptables not installed`); };

t(test, 'check: cni plugins and iptables ok; the throwaway network is added, checked, deleted and gone', () => {
  const r = env.run(['check', '--json']);
  const rows = JSON.parse(r.stdout).results as { name: string; status: string; detail: string }[];
  const row = (n: string) => rows.find((x) => x.name === n)!;
  assert.is(row('cni plugins').status, 'ok', row('cni plugins').detail);
  assert.is(row('iptables').status, 'ok');
  assert.is(row('cni network').status, 'ok', row('cni network').detail);
  assert.match(row('cni network').detail, /^ADD \(10\.213\.255\.\d+\), CHECK, DEL/);
  assert.ok(!readdirSync('/sys/class/net').some((n) => /^tsck/.test(n)), 'the probe bridge is gone');
  assert.equal(iptablesLines('tsctr-check-'), []);
  assert.ok(!readdirSync('/tmp').some((f) => f.startsWith('tsctr-check-net-') && existsSync(`/tmp/${f}/netns`)));
});

test.run();
