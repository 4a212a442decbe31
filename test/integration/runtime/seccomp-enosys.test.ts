// The default seccomp profile on the real kernel, probed by a tiny static C
// program (built here with gcc -static) that makes raw system calls by number:
// a number above the profile's newest gets ENOSYS (so libc falls back), a
// known call the profile refuses gets EPERM, fchmodat2 is allowed. Then the
// CLI: `run --seccomp` prints no warning, a profile naming a call that exists
// nowhere prints one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSeccompProfile } from '../../../src/oci/seccomp/default-profile.js';
import { SYSCALLS_X86_64 as NR } from '../../../src/oci/seccomp/syscalls-x86_64.js';
import { DEFAULT_CAPABILITIES, defaultSpec } from '../../../src/oci/spec/index.js';
import { isRoot, requireTool } from '../../helpers/root.js';
import { Env } from '../../helpers/tsctr.js';
import { hasBusybox, makeBusyboxRootfs, runSpec, type TestRootfs } from './rootfs-helper.js';

// Each argument: "<nr>" makes syscall(nr, 0, ...); "fchmodat2" chmods
// /tmp/f through syscall 452. One line per call: "<arg> ret=<r> errno=<NAME>".
const PROBE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		long r;
		errno = 0;
		if (strcmp(argv[i], "fchmodat2") == 0) {
			close(open("/tmp/f", O_CREAT | O_WRONLY, 0644));
			r = syscall(452, AT_FDCWD, "/tmp/f", 0600, 0);
		} else {
			r = syscall(strtol(argv[i], NULL, 0), 0, 0, 0, 0, 0, 0);
		}
		int e = errno;
		printf("%s ret=%ld errno=%s\n", argv[i], r, e ? strerrorname_np(e) : "0");
	}
	struct stat st;
	if (stat("/tmp/f", &st) == 0) printf("mode=%o\n", st.st_mode & 0777);
	return 0;
}
`;

const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const x86 = process.arch === 'x64';
// The probe numbers are x86_64's; busybox-static builds the rest of the root.
const available = hasGcc && hasBusybox && x86;
let fs: TestRootfs | undefined;
let env: Env | undefined;

test.before(() => {
  if (!isRoot || !available) return;
  fs = makeBusyboxRootfs('tsctr-seccomp-enosys-');
  writeFileSync(join(fs.dir, 'probe.c'), PROBE_C);
  execFileSync('gcc', ['-static', '-O1', '-o', join(fs.rootfs, 'bin/probe'), join(fs.dir, 'probe.c')]);
  env = new Env('seccomp-enosys');
});
test.after(() => {
  env?.cleanup();
  fs?.remove();
});

function parse(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const r = /^(\S+) ret=(-?\d+) errno=(\S+)$/.exec(line);
    if (r) m.set(r[1]!, r[2] === '-1' ? r[3]! : `ok`);
  }
  return m;
}

const name = 'default profile: above its newest call ENOSYS, refused known calls EPERM, fchmodat2 allowed';
requireTool(test, 'gcc', name, async () => {
  const calls = ['1000', '600', '400', String(NR.mseal), String(NR.listns), String(NR.statmount), String(NR.reboot), String(NR.kexec_load), String(NR.keyctl), String(NR.getpid), 'fchmodat2'];
  const spec = defaultSpec({ args: ['/bin/probe', ...calls] });
  spec.linux!.seccomp = defaultSeccompProfile([...DEFAULT_CAPABILITIES]);
  const r = await runSpec(spec, fs!.rootfs, join(fs!.dir, 'out.txt'));
  assert.is(r.code, 0, r.out);
  const got = parse(r.out);
  // 1000 and 600 exist nowhere; mseal (6.10) and statmount (6.8) exist on
  // today's kernels, where without the stub they would get the default EPERM:
  // they are newer than the profile's newest call (futex_requeue, 456).
  // 400 is unassigned on x86_64 (337-423): ENOSYS as without a filter.
  for (const nr of ['1000', '600', '400', String(NR.mseal), String(NR.listns), String(NR.statmount)]) assert.is(got.get(nr), 'ENOSYS', `${nr}: ${r.out}`);
  for (const nr of [String(NR.reboot), String(NR.kexec_load), String(NR.keyctl)]) assert.is(got.get(nr), 'EPERM', `${nr}: ${r.out}`);
  assert.is(got.get(String(NR.getpid)), 'ok');
  // fchmodat2 is in the profile: it runs (Linux 6.6+) or the kernel says ENOSYS; never EPERM.
  const f = got.get('fchmodat2');
  assert.ok(f === 'ok' || f === 'ENOSYS', `fchmodat2: ${r.out}`);
  if (f === 'ok') assert.match(r.out, /^mode=600$/m);
}, available);

const cli = 'tsctr run --seccomp prints no warning; a profile naming a call no architecture has prints one line naming it';
requireTool(test, 'gcc', cli, () => {
  const r = env!.run(['run', '--rm', '--seccomp', '--rootfs', fs!.rootfs, 'seccomp-enosys-1', '/bin/probe', '1000', String(NR.reboot)]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '', 'no warning');
  assert.match(r.stdout, /^1000 ret=-1 errno=ENOSYS$/m);
  assert.match(r.stdout, new RegExp(`^${NR.reboot} ret=-1 errno=EPERM$`, 'm'));
  const profile = join(fs!.dir, 'profile.json');
  writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['reboot', 'no_such_call', 'recv', 's390_sthyi'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
  const u = env!.run(['run', '--rm', '--seccomp-profile', profile, '--rootfs', fs!.rootfs, 'seccomp-enosys-2', '/bin/probe', String(NR.reboot), '1000']);
  assert.is(u.code, 0, u.stderr);
  assert.equal(u.stderr.trim().split('\n'), ['tsctr: warning: linux.seccomp: 1 system call name(s) unknown on every architecture, skipped: no_such_call']);
  assert.match(u.stdout, new RegExp(`^${NR.reboot} ret=-1 errno=EACCES$`, 'm'));
  assert.match(u.stdout, /^1000 ret=-1 errno=ENOSYS$/m, 'default ALLOW: no stub, the kernel answers');
  rmSync(profile);
}, available);

test.run();
