// The CNI protocol against fake plugins (small Node scripts that log what
// they were given): ADD chains prevResult, DEL runs in reverse with the ADD
// result, a failing ADD is undone, errors and bad output become one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addNetwork, checkNetwork, delNetwork, pluginConfig, type Runtime } from '../../../../src/container/network/cni.js';
import type { NetworkConfList } from '../../../../src/container/network/cni-config.js';

// A fake plugin: logs its command, environment and stdin next to itself,
// then prints <name>.<COMMAND>.out (if any) and exits with <name>.code (default 0).
// The chaining is checked from what each plugin read on stdin.
const FAKE = `#!/bin/sh
d=$(dirname "$0"); n=$(basename "$0")
echo "$CNI_COMMAND $n" >> "$d/calls"
env | grep '^CNI_' | sort > "$d/env.$CNI_COMMAND.$n"
cat > "$d/stdin.$CNI_COMMAND.$n"
if [ -f "$d/$n.huge" ]; then head -c 2097152 /dev/zero | tr '\\0' x; fi
[ -f "$d/$n.$CNI_COMMAND.out" ] && cat "$d/$n.$CNI_COMMAND.out"
[ -f "$d/$n.stderr" ] && cat "$d/$n.stderr" >&2
exit $(cat "$d/$n.code" 2>/dev/null || echo 0)
`;

const TYPES = ['fake-a', 'fake-b', 'fake-c'];

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tsctr-cni-fake-'));
  for (const t of TYPES) {
    writeFileSync(join(dir, t), FAKE);
    chmodSync(join(dir, t), 0o755);
  }
  const rt: Runtime = { containerId: 'c1-0000', netns: '/run/x/netns', ifName: 'eth0', binDirs: [dir], args: 'IgnoreUnknown=1', capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }] } };
  const results = (version: string) => TYPES.forEach((t, i) => {
    const ips = Array.from({ length: i + 1 }, (_, k) => ({ address: `10.0.0.${k + 2}/24` }));
    writeFileSync(join(dir, `${t}.ADD.out`), JSON.stringify({ cniVersion: version, interfaces: [], ips, routes: [], dns: {} }));
  });
  const conf = (version: string): NetworkConfList => ({ cniVersion: version, name: 'fakenet', plugins: TYPES.map((type, i) => ({ type, ...(i === 1 ? { capabilities: { portMappings: true } } : {}) })) });
  const list = (version: string): NetworkConfList => {
    results(version);
    return conf(version);
  };
  const set = (file: string, text: string) => writeFileSync(join(dir, file), text);
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const calls = () => { try { return read('calls').trim().split('\n').filter(Boolean); } catch { return []; } };
  const stdin = (cmd: string, t: string) => JSON.parse(read(`stdin.${cmd}.${t}`));
  const reset = () => rmSync(join(dir, 'calls'), { force: true });
  return { dir, rt, conf, list, set, read, calls, stdin, reset, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('pluginConfig: name and cniVersion from the list, runtimeConfig only for declared capabilities', () => {
  const l: NetworkConfList = { cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'portmap', capabilities: { portMappings: true, bandwidth: true } }, { type: 'bridge', runtimeConfig: { stale: 1 } }] };
  const rt = { capabilityArgs: { portMappings: [1], ips: ['x'] } };
  assert.equal(pluginConfig(l, l.plugins[0]!, rt, { ips: [] }), { type: 'portmap', capabilities: { portMappings: true, bandwidth: true }, name: 'n', cniVersion: '1.0.0', runtimeConfig: { portMappings: [1] }, prevResult: { ips: [] } });
  assert.equal(pluginConfig(l, l.plugins[1]!, rt), { type: 'bridge', name: 'n', cniVersion: '1.0.0' });
});

test('ADD chains prevResult through the list; DEL runs in reverse with the ADD result; CHECK in order', async () => {
  const f = setup();
  try {
    for (const version of ['1.0.0', '0.4.0']) {
      f.reset();
      const l = f.list(version);
      const r = await addNetwork(l, f.rt);
      assert.equal(r.ips.map((i) => i.address), ['10.0.0.2/24', '10.0.0.3/24', '10.0.0.4/24']);
      await checkNetwork(l, f.rt, r.raw);
      await delNetwork(l, f.rt, r.raw);
      assert.equal(f.calls(), ['ADD fake-a', 'ADD fake-b', 'ADD fake-c', 'CHECK fake-a', 'CHECK fake-b', 'CHECK fake-c', 'DEL fake-c', 'DEL fake-b', 'DEL fake-a']);
      assert.is(f.stdin('ADD', 'fake-a').prevResult, undefined);
      assert.equal(f.stdin('ADD', 'fake-b').prevResult, JSON.parse(f.read('fake-a.ADD.out')));
      assert.equal(f.stdin('ADD', 'fake-c').prevResult, JSON.parse(f.read('fake-b.ADD.out')));
      for (const cmd of ['CHECK', 'DEL']) for (const t of TYPES) assert.equal(f.stdin(cmd, t).prevResult, r.raw);
      assert.equal(f.stdin('ADD', 'fake-b').runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }] });
      assert.is(f.stdin('ADD', 'fake-a').runtimeConfig, undefined);
      assert.is(f.read('env.ADD.fake-a'), `CNI_ARGS=IgnoreUnknown=1\nCNI_COMMAND=ADD\nCNI_CONTAINERID=c1-0000\nCNI_IFNAME=eth0\nCNI_NETNS=/run/x/netns\nCNI_PATH=${f.dir}\n`);
      for (const t of TYPES) assert.equal([f.stdin('ADD', t).name, f.stdin('ADD', t).cniVersion], ['fakenet', version]);
    }
  } finally {
    f.done();
  }
});

test('0.3.1: DEL gets no prevResult, CHECK is refused', async () => {
  const f = setup();
  try {
    const l = f.list('0.3.1');
    const r = await addNetwork(l, f.rt);
    let refused = false;
    try { await checkNetwork(l, f.rt, r.raw); } catch (e) { refused = /needs cniVersion 0\.4\.0/.test((e as Error).message); }
    assert.ok(refused);
    await delNetwork(l, f.rt, r.raw);
    for (const t of TYPES) assert.is(f.stdin('DEL', t).prevResult, undefined);
  } finally {
    f.done();
  }
});

async function addError(f: ReturnType<typeof setup>): Promise<Error> {
  try {
    await addNetwork(f.conf('1.0.0'), f.rt);
  } catch (e) {
    return e as Error;
  }
  throw new Error('ADD did not fail');
}

test('a failing ADD is undone (DEL of the whole list) and reported as one line with code, msg and details', async () => {
  const f = setup();
  try {
    f.list('1.0.0');
    f.set('fake-b.ADD.out', JSON.stringify({ cniVersion: '1.0.0', code: 11, msg: 'boom', details: 'lock held' }));
    f.set('fake-b.code', '1');
    const e = await addError(f);
    assert.is(e.message, 'CNI plugin fake-b ADD on network "fakenet": code 11: boom (lock held)');
    assert.match((e as { hint?: string }).hint!, /transient/);
    assert.equal(f.calls(), ['ADD fake-a', 'ADD fake-b', 'DEL fake-c', 'DEL fake-b', 'DEL fake-a']);
  } finally {
    f.done();
  }
});

test('plugin output is untrusted: stderr-only failures, huge output, garbage and bad IPs are errors', async () => {
  const f = setup();
  try {
    f.list('1.0.0');
    f.set('fake-a.ADD.out', '');
    f.set('fake-a.stderr', 'panic: nil map\n');
    f.set('fake-a.code', '2');
    assert.match((await addError(f)).message, /fake-a ADD on network "fakenet": exited with status 2: panic: nil map/);
    rmSync(join(f.dir, 'fake-a.code'));
    f.set('fake-a.huge', '');
    const huge = (await addError(f)).message;
    assert.match(huge, /printed more than 1048576 bytes/, huge);
    rmSync(join(f.dir, 'fake-a.huge'));
    f.set('fake-a.ADD.out', 'hello');
    assert.match((await addError(f)).message, /bad result: plugin result is not JSON/);
    f.list('1.0.0');
    f.set('fake-b.ADD.out', JSON.stringify({ cniVersion: '1.0.0', ips: [{ address: '999.0.0.1/24' }] }));
    assert.match((await addError(f)).message, /fake-b ADD .*bad result: ips\[0\]\.address: "999\.0\.0\.1\/24"/);
  } finally {
    f.done();
  }
});

test('DEL calls every plugin even when one fails, then reports the first failure', async () => {
  const f = setup();
  try {
    const l = f.list('1.0.0');
    l.plugins[1]!.type = 'missing-plugin';
    let err: Error | undefined;
    try { await delNetwork(l, f.rt); } catch (e) { err = e as Error; }
    assert.match(err!.message, /CNI plugin "missing-plugin" not found/);
    assert.equal(f.calls(), ['DEL fake-c', 'DEL fake-a']);
  } finally {
    f.done();
  }
});

test.run();
