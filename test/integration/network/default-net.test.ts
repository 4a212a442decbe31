// Two containers on the default network (--cni, no --net) reach each other
// by address. The test's own root holds a tsctr0 created beforehand with
// its own bridge and subnet, so the machine's real tsctr0 is never touched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURE_REF } from '../../helpers/tsctr.js';
import { addressOf, cniTest, iptablesLines, networkSuite, reservations, type TestNet, until, vethsOn } from './net-helper.js';

const NET: TestNet = { name: 'tsctr0', bridge: 'tsnet-def', subnet: '10.213.202.0/24', gateway: '10.213.202.1' };
const env = networkSuite('net-default', [NET]);

cniTest(test, 'two containers on the default network reach each other by address', async () => {
  const a = env.run(['run', '-d', '--cni', FIXTURE_REF, 'net-a', 'sh', '-c', 'mkdir -p /w && echo from-net-a > /w/index.html && exec httpd -f -p 80 -h /w']);
  assert.is(a.code, 0, a.stderr);
  const ipA = addressOf(env, 'net-a')!;
  assert.match(ipA, /^10\.213\.202\./);
  // b runs in the foreground: ping a, then fetch a's page by address (retrying while httpd starts).
  // (nc, not wget: the static busybox's wget crashes in glibc's resolver.)
  const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${ipA} 80`;
  const b = env.run(['run', '--rm', '--cni', FIXTURE_REF, 'net-b', 'sh', '-c', `ping -c1 -W2 ${ipA} >/dev/null || exit 2; for i in $(seq 50); do ${get} && exit 0; sleep 0.1; done; exit 1`]);
  assert.is(b.code, 0, b.stderr);
  assert.match(b.stdout, /^HTTP\/1\.[01] 200 OK\r\n[^]*\r\n\r\nfrom-net-a\n$/);
  // a reaches b by address too: b's httpd, a's nc through tasks exec.
  const c = env.run(['run', '-d', '--cni', FIXTURE_REF, 'net-c', 'sh', '-c', 'mkdir -p /w && echo from-net-c > /w/index.html && exec httpd -f -p 80 -h /w']);
  assert.is(c.code, 0, c.stderr);
  const ipC = addressOf(env, 'net-c')!;
  assert.match(ipC, /^10\.213\.202\./);
  assert.is.not(ipC, ipA);
  const back = env.run(['tasks', 'exec', 'net-a', 'sh', '-c', `for i in $(seq 50); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${ipC} 80 && exit 0; sleep 0.1; done; exit 1`]);
  assert.is(back.code, 0, back.stderr);
  assert.match(back.stdout, /from-net-c\n$/);
  assert.is(env.run(['containers', 'rm', '--force', 'net-c']).code, 0);
  assert.is(vethsOn(NET.bridge).length, 1, 'only net-a is left on the bridge');
  assert.is(reservations(env, NET.name).length, 1);
  assert.equal(iptablesLines('net-b-', 'net-c-', ipC), []);
  assert.is(env.run(['containers', 'rm', '--force', 'net-a']).code, 0);
  await until(() => (vethsOn(NET.bridge).length === 0 ? true : undefined), 'the veth to go');
  assert.equal(reservations(env, NET.name), []);
  assert.equal(iptablesLines('net-a-', ipA), []);
});

test.run();
