// Teardown that leaves nothing behind when tsctr itself is SIGKILLed: in a
// foreground run (the container dies with it; the next command cleans up),
// and half-way through the network set-up (a plugin still running).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_REF } from '../../helpers/tsctr.js';
import { addressOf, cniTest, iptablesLines, networkSuite, PLUGINS_DIR, procAlive, reservations, type TestNet, until, vethsOn } from './net-helper.js';

const NET: TestNet = { name: 'netkill', bridge: 'tsnet-kill', subnet: '10.213.203.0/24', gateway: '10.213.203.1' };
const SLOW: TestNet = { name: 'netslow', bridge: 'tsnet-slow', subnet: '10.213.204.0/24', gateway: '10.213.204.1' };
const extra = mkdtempSync('/tmp/tsctr-net-kill-cni-');
const env = networkSuite('net-kill', [NET], {
  alsoRemove: [SLOW],
  after: () => {
    // The slow plugin of the second test, if a failure left it running.
    try { process.kill(Number(readFileSync(join(extra, 'slow.pid'), 'utf8')), 'SIGKILL'); } catch { /* gone */ }
    rmSync(extra, { recursive: true, force: true });
  },
});

cniTest(test, 'a SIGKILLed foreground run: the next command runs CNI DEL; no veth, reservation or rule is left', async () => {
  const cli = env.spawn(['run', '--net', NET.name, '-p', '38572:80', FIXTURE_REF, 'net-k1', 'sleep', '600'], { stdio: 'ignore' });
  try {
    const pid = await until(() => (JSON.parse(env.run(['tasks', 'ls', '--json']).stdout || '[]') as { id: string; pid: number }[]).find((r) => r.id === 'net-k1')?.pid, 'net-k1 to run');
    const ip = addressOf(env, 'net-k1')!;
    assert.is(vethsOn(NET.bridge).length, 1);
    assert.ok(iptablesLines('net-k1-').length > 0);
    cli.kill('SIGKILL');
    // The container has a parent-death signal: it goes with its tsctr.
    await until(() => (procAlive(pid) ? undefined : true), 'the container to die with its tsctr');
    const ls = env.run(['containers', 'ls']);
    assert.match(ls.stderr, /container "net-k1": its tsctr \(pid \d+\) was killed; cleaned up: .*removed network netkill \(CNI DEL\)/);
    assert.equal(vethsOn(NET.bridge), []);
    assert.equal(reservations(env, NET.name), []);
    assert.equal(iptablesLines('net-k1-', ip), []);
    assert.not.ok(existsSync(join(env.state, 'default', 'net-k1', 'netns')));
  } finally {
    cli.kill('SIGKILL');
  }
});

// A plugin that hangs on ADD (after bridge has wired the container up) and says where it is.
const SLOW_PLUGIN = (dir: string) => `#!/bin/sh
cat > /dev/null
if [ "$CNI_COMMAND" = ADD ]; then echo $$ > ${dir}/slow.pid; exec sleep 600; fi
exit 0
`;

cniTest(test, 'a tsctr SIGKILLed while a plugin runs ADD: its network record is found and undone', async () => {
  const bin = join(extra, 'bin');
  const conf = join(extra, 'net.d');
  mkdirSync(bin);
  mkdirSync(conf);
  writeFileSync(join(bin, 'slowpoke'), SLOW_PLUGIN(extra));
  chmodSync(join(bin, 'slowpoke'), 0o755);
  writeFileSync(join(conf, '10-slow.conflist'), JSON.stringify({
    cniVersion: '1.0.0', name: SLOW.name,
    plugins: [
      { type: 'bridge', bridge: SLOW.bridge, isGateway: true, ipMasq: true, ipam: { type: 'host-local', ranges: [[{ subnet: SLOW.subnet }]], dataDir: join(env.state, 'cni', 'host-local') } },
      { type: 'slowpoke' },
    ],
  }));
  const cli = env.spawn(['run', '--net', SLOW.name, '--cni-conf-dir', conf, '--cni-bin-dir', bin, '--cni-bin-dir', PLUGINS_DIR!, FIXTURE_REF, 'net-k2', 'true'], { stdio: 'ignore' });
  try {
    const slowPid = await until(() => { try { return Number(readFileSync(join(extra, 'slow.pid'), 'utf8')) || undefined; } catch { return undefined; } }, 'the slow plugin to start');
    assert.is(vethsOn(SLOW.bridge).length, 1, 'bridge ran ADD before the slow plugin');
    assert.is(reservations(env, SLOW.name).length, 1);
    cli.kill('SIGKILL');
    await until(() => (cli.exitCode !== null || cli.signalCode !== null ? true : undefined), 'tsctr to die');
    process.kill(slowPid, 'SIGKILL');
    const ls = env.run(['containers', 'ls']);
    assert.match(ls.stderr, /container "net-k2": its tsctr was killed while setting up; cleaned up: removed network netslow \(CNI DEL\)/);
    assert.equal(vethsOn(SLOW.bridge), []);
    assert.equal(reservations(env, SLOW.name), []);
    assert.equal(iptablesLines('net-k2-', SLOW.subnet.slice(0, -4)), []);
    // The slow network is not tsctr's: its bridge is removed by hand (as cleanupNet does for a failed run).
  } finally {
    cli.kill('SIGKILL');
  }
});

test.run();
