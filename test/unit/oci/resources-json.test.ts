// update's input: an OCI linux.resources document (hostile: it comes from a
// file or stdin) and runc's single-value flags. Every bad field is named;
// nothing is half-accepted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isKind } from '../../../src/errors.js';
import { mergeResources, parseResources, resourcesFromFlags, MAX_RESOURCES_BYTES } from '../../../src/oci/resources-json.js';

const refused = (text: string, ...want: RegExp[]) => {
  try {
    parseResources(text, 'update --resources r.json');
    assert.unreachable(`accepted ${text.slice(0, 80)}`);
  } catch (e) {
    assert.ok(isKind(e, 'InvalidArgument'), text.slice(0, 80));
    const msg = (e as Error).message;
    assert.ok(!msg.includes('\n'), 'one line');
    assert.match(msg, /^update --resources r\.json: /);
    for (const w of want) assert.match(msg, w);
  }
};

test('a good document, with runc\'s zeros meaning "unchanged"', () => {
  const r = parseResources(JSON.stringify({
    memory: { limit: 536870912, reservation: 0, swap: -1, kernel: 0, kernelTCP: 0 },
    cpu: { shares: 512, quota: 50000, period: 100000, realtimeRuntime: 0, realtimePeriod: 0, cpus: '0-1', mems: '' },
    blockIO: { weight: 500 }, pids: { limit: 64 },
    hugepageLimits: [{ pageSize: '2MB', limit: 0 }], unified: { 'memory.high': '400000000' },
  }));
  assert.equal(r, {
    memory: { limit: 536870912, swap: -1 }, cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1' },
    pids: { limit: 64 }, blockIO: { weight: 500 }, hugepageLimits: [{ pageSize: '2MB', limit: 0 }], unified: { 'memory.high': '400000000' },
  });
  assert.equal(parseResources('{}'), {});
  assert.equal(parseResources('{"memory":null,"cpu":{}}'), {});
});

test('malicious: not JSON, not an object, too big', () => {
  refused('', /not JSON/);
  refused('{"memory":', /not JSON/);
  refused('[]', /must be a JSON object/);
  refused('"x"', /must be a JSON object/);
  refused('null', /must be a JSON object/);
  refused('{"pad":"' + 'x'.repeat(MAX_RESOURCES_BYTES) + '"}', /bytes, more than/);
});

test('malicious: wrong types are named with their field', () => {
  refused('{"memory":{"limit":"1g"}}', /memory\.limit: must be an integer/);
  refused('{"memory":{"limit":1.5}}', /memory\.limit: must be an integer/);
  refused('{"memory":{"limit":true}}', /memory\.limit: must be an integer/);
  refused('{"memory":[1]}', /memory: must be an object/);
  refused('{"cpu":"fast"}', /cpu: must be an object/);
  refused('{"cpu":{"cpus":7}}', /cpu\.cpus: must be a list/);
  refused('{"memory":{"disableOOMKiller":"yes"}}', /disableOOMKiller: must be true or false/);
  refused('{"pids":{"limit":[]}}', /pids\.limit: must be an integer/);
  refused('{"hugepageLimits":{"2MB":1}}', /hugepageLimits: must be an array/);
  refused('{"unified":[]}', /unified: must be an object/);
  refused('{"unified":{"memory.high":5}}', /unified\.memory\.high: must be a one-line string/);
});

test('malicious: negative, out of range and huge numbers', () => {
  refused('{"memory":{"limit":-2}}', /memory\.limit: -2 is out of range/);
  refused('{"memory":{"limit":18446744073709551615}}', /memory\.limit: .* is too large/);
  refused('{"memory":{"limit":1e300}}', /memory\.limit: .* too large/);
  refused('{"pids":{"limit":-5}}', /pids\.limit: -5 is out of range/);
  refused('{"cpu":{"shares":1}}', /cpu\.shares: 1 is out of range \(2 to 262144\)/);
  refused('{"cpu":{"shares":1000000}}', /cpu\.shares/);
  refused('{"cpu":{"period":999}}', /cpu\.period/);
  refused('{"cpu":{"quota":500}}', /cpu\.quota: 500 is below/);
  refused('{"blockIO":{"weight":5}}', /blockIO\.weight: 5 is out of range \(10 to 1000\)/);
  refused('{"memory":{"swappiness":101}}', /memory\.swappiness/);
  refused('{"memory":{"limit":1073741824,"swap":536870912}}', /memory\.swap: .* below memory\.limit/);
  refused('{"hugepageLimits":[{"pageSize":"2MB","limit":-1}]}', /hugepageLimits\[0\]\.limit/);
});

test('malicious: unknown and unsupported keys are named, all of them at once', () => {
  refused('{"memroy":{"limit":1}}', /memroy: unknown field/);
  refused('{"memory":{"limit":1048576,"limt":2}}', /memory\.limt: unknown field/);
  refused('{"__proto__":{"x":1}}', /__proto__: unknown field/);
  refused('{"constructor":1}', /constructor: unknown field/);
  refused('{"a":1,"b":2,"cpu":{"c":3}}', /a: unknown field; b: unknown field; cpu\.c: unknown field/);
  refused('{"devices":[{"allow":true}]}', /devices: update does not change device rules/);
  refused('{"network":{"classID":1}}', /network: /);
  refused('{"memory":{"kernel":1048576}}', /memory\.kernel: kernel memory limits are deprecated/);
  refused('{"blockIO":{"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1}]}}', /blockIO\.throttleReadBpsDevice: not supported/);
  refused('{"hugepageLimits":[{"pageSize":"2MB","limit":1,"x":1}]}', /hugepageLimits\[0\]\.x: unknown field/);
});

test('malicious: values that would walk out of the cgroup or inject lines', () => {
  refused('{"unified":{"../../memory.max":"1"}}', /not a controller file name/);
  refused('{"unified":{"memory.max/../x":"1"}}', /not a controller file name/);
  refused('{"unified":{"cgroup.procs":"1"}}', /not a controller file name/);
  refused('{"unified":{"cgroup.subtree_control":"+memory"}}', /not a controller file name/);
  refused('{"unified":{"memory.high":"1\\n2"}}', /one-line string/);
  refused('{"cpu":{"cpus":"0-1\\n"}}', /cpu\.cpus/);
  refused('{"cpu":{"cpus":"0-99999999"}}', /cpu\.cpus/);
  refused('{"hugepageLimits":[{"pageSize":"../2MB","limit":1}]}', /pageSize/);
});

test('flags: runc\'s names and size syntax; kernel memory and RDT refused', () => {
  assert.equal(resourcesFromFlags({ memory: '512m', 'memory-swap': '-1', 'cpu-shares': '512', 'cpu-quota': '-1', 'pids-limit': '100', 'cpuset-cpus': '0', 'blkio-weight': '300' }),
    { memory: { limit: 512 * 1024 * 1024, swap: -1 }, cpu: { shares: 512, quota: -1, cpus: '0' }, pids: { limit: 100 }, blockIO: { weight: 300 } });
  assert.equal(resourcesFromFlags({}), {});
  assert.equal(resourcesFromFlags({ 'pids-limit': '0', 'cpu-shares': '0' }), {}, 'zero leaves it as it is');
  for (const [flags, re] of [
    [{ 'kernel-memory': '1m' }, /--kernel-memory: kernel memory limits are deprecated/],
    [{ 'l3-cache-schema': 'L3:0=f' }, /--l3-cache-schema: Intel RDT/],
    [{ 'mem-bw-schema': 'MB:0=50' }, /--mem-bw-schema: Intel RDT/],
    [{ memory: '1x' }, /--memory/],
    [{ 'cpu-period': '-5' }, /--cpu-period/],
    [{ 'pids-limit': '-7' }, /pids\.limit/],
    [{ 'blkio-weight': '5' }, /blockIO\.weight/],
    [{ 'cpuset-cpus': 'all' }, /cpu\.cpus/],
  ] as const) {
    assert.throws(() => resourcesFromFlags(flags), (e: Error) => isKind(e, 'InvalidArgument') && re.test(e.message), JSON.stringify(flags));
  }
});

test('merge: the update laid over what the container has, field by field', () => {
  const cur = { memory: { limit: 100, swap: 200 }, cpu: { shares: 2 }, pids: { limit: 5 }, hugepageLimits: [{ pageSize: '2MB', limit: 1 }], devices: [{ allow: false, access: 'rwm' }] };
  const merged = mergeResources(cur, { memory: { limit: 150 }, cpu: { quota: 1000 }, hugepageLimits: [{ pageSize: '1GB', limit: 2 }, { pageSize: '2MB', limit: 3 }] });
  assert.equal(merged, {
    memory: { limit: 150, swap: 200 }, cpu: { shares: 2, quota: 1000 }, pids: { limit: 5 },
    hugepageLimits: [{ pageSize: '2MB', limit: 3 }, { pageSize: '1GB', limit: 2 }], devices: [{ allow: false, access: 'rwm' }],
  });
  assert.equal(cur.memory.limit, 100, 'the current resources are not changed');
  assert.equal(mergeResources(undefined, { pids: { limit: 1 } }), { pids: { limit: 1 } });
});

test.run();
