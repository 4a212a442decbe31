// `tsctr events` follows the journal while other tsctr processes run,
// OOM, pause, exec into and remove containers, and pull and remove an image:
// every expected event is seen once, in order, by one follower (through the
// CLI, as a user would run them side by side).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registryUnavailable, startRegistry, stopAllRegistries } from '../../helpers/registry.js';
import { seedImage } from '../../helpers/registry-image.js';
import { requireTool, rootTest } from '../../helpers/root.js';
import { Env, FIXTURE_REF } from '../../helpers/tsctr.js';

interface Ev { timestamp: string; namespace: string; topic: string; event: Record<string, unknown> }

let env: Env;
let follower: ChildProcess | undefined;
test.before(() => {
  env = new Env('journal');
  if (process.geteuid?.() === 0) env.importFixture();
});
test.after(async () => {
  if (follower && follower.exitCode === null) follower.kill('SIGKILL');
  await stopAllRegistries();
  env.cleanup();
});

// One process (busybox dd with a 64 MiB buffer) over a 32 MiB limit: exactly one OOM kill. A shell
// pipeline can lose two of its processes to the OOM killer, which would be two /tasks/oom.
const OOM = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'];

function ok(args: string[]): string {
  const r = env.run(args);
  assert.is(r.code, 0, `tsctr ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function until(what: string, f: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) { if (f()) return; await new Promise((r) => setTimeout(r, 20)); }
  assert.unreachable(`timed out waiting for ${what}`);
}

/** The (topic, id) pairs we expect, in this order among the events seen. */
const key = (e: Ev) => `${e.topic} ${String(e.event.container_id ?? e.event.id ?? e.event.name ?? e.event.key ?? e.event.digest ?? '')}${e.event.exec_id ? ' ' + e.event.exec_id : e.topic === '/tasks/exit' && e.event.id !== e.event.container_id ? ' ' + e.event.id : ''}`;

requireTool(test, 'docker-registry', 'one events follower sees run, OOM, pause/resume, exec, rm, pull and image rm, each once and in order', async () => {
  const reg = await startRegistry({ mode: 'plain' });
  const img = await seedImage(reg, 'journal/img', 'v1');
  const layerChain = (JSON.parse(img.config.body.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids[0]!;
  const since = new Date(Date.now() - 1000).toISOString();
  follower = env.spawn(['events', '--since', since, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  follower.stdout!.on('data', (d) => { out += d; });
  follower.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => follower!.on('exit', (c) => r(c)));

  // A container that runs to completion (--rm), one the kernel OOM-kills in the foreground.
  ok(['run', '--rm', FIXTURE_REF, 'journal-1', 'true']);
  assert.is(env.run(['run', '--rm', '--memory-limit', '32m', FIXTURE_REF, 'journal-2', ...OOM]).code, 137);
  // A detached one: paused, resumed, exec'd into, killed, its task and container removed.
  ok(['run', '-d', FIXTURE_REF, 'journal-3', 'sleep', '600']);
  ok(['tasks', 'pause', 'journal-3']);
  ok(['tasks', 'resume', 'journal-3']);
  ok(['tasks', 'exec', '--exec-id', 'journal-x1', 'journal-3', 'true']);
  ok(['tasks', 'kill', '-s', 'KILL', 'journal-3']);
  await until('journal-3 to stop', () => /STOPPED/.test(ok(['tasks', 'ls'])));
  ok(['tasks', 'rm', 'journal-3']);
  ok(['containers', 'rm', 'journal-3']);
  // A detached one the kernel OOM-kills: its monitor writes /tasks/oom and /tasks/exit.
  ok(['run', '-d', '--memory-limit', '32m', FIXTURE_REF, 'journal-4', ...OOM]);
  await until('journal-4 to stop', () => /journal-4 .*STOPPED/.test(ok(['tasks', 'ls'])));
  assert.match(ok(['tasks', 'ls']), /journal-4 .*STOPPED \(exit 137, OOM-killed\)/);
  const info = JSON.parse(ok(['containers', 'info', 'journal-4'])) as { task: { oomKilled: boolean; exit: number } };
  assert.equal([info.task.oomKilled, info.task.exit], [true, 137]);
  ok(['containers', 'rm', '--force', 'journal-4']);
  // An image pulled, then removed.
  const ref = `${reg.host}/journal/img:v1`;
  ok(['images', 'pull', '--plain-http', ref]);
  ok(['images', 'rm', ref]);

  await until('the follower to catch up', () => out.includes('"/images/delete"'));
  follower.kill('SIGINT');
  assert.is(await exited, 0, 'ends cleanly on SIGINT');
  assert.is(err, '', 'no warnings');
  const all = out.trim().split('\n').map((l) => JSON.parse(l) as Ev).filter((e) => e.topic !== '/images/create' || e.event.name !== FIXTURE_REF);
  // Unpack's layer snapshots (extract-* keys): the pull's one layer is prepared then committed under its chain ID,
  // after journal-4 and before the image's removal; while downloading or after /images/create, depending on timing.
  const isExtract = (e: Ev) => String(e.event.key ?? '').startsWith('extract-');
  const pulled = all.filter((e) => isExtract(e) && String(e.event.key).endsWith(` ${layerChain}`));
  assert.equal(pulled.map((e) => e.topic), ['/snapshot/prepare', '/snapshot/commit'], `pull's layer snapshot events:\n${JSON.stringify(pulled)}`);
  assert.equal(pulled[0]!.event, { key: pulled[0]!.event.key, parent: '', snapshotter: 'overlayfs' });
  assert.equal(pulled[1]!.event, { key: pulled[0]!.event.key, name: layerChain, snapshotter: 'overlayfs' });
  const at = (e: Ev) => all.indexOf(e);
  assert.ok(at(pulled[0]!) > all.findIndex((e) => key(e) === '/containers/delete journal-4') && at(pulled[1]!) < all.findIndex((e) => e.topic === '/images/delete'));
  const events = all.filter((e) => !isExtract(e));
  const seen = events.map(key);
  const expected = [
    '/containers/create journal-1', '/snapshot/prepare journal-1', '/tasks/create journal-1', '/tasks/start journal-1', '/tasks/exit journal-1', '/tasks/delete journal-1', '/snapshot/remove journal-1', '/containers/delete journal-1',
    '/containers/create journal-2', '/snapshot/prepare journal-2', '/tasks/create journal-2', '/tasks/start journal-2', '/tasks/oom journal-2', '/tasks/exit journal-2', '/tasks/delete journal-2', '/snapshot/remove journal-2', '/containers/delete journal-2',
    '/containers/create journal-3', '/snapshot/prepare journal-3', '/tasks/create journal-3', '/tasks/start journal-3', '/tasks/paused journal-3', '/tasks/resumed journal-3',
    '/tasks/exec-added journal-3 journal-x1', '/tasks/exec-started journal-3 journal-x1', '/tasks/exit journal-3 journal-x1',
    '/tasks/exit journal-3', '/tasks/delete journal-3', '/snapshot/remove journal-3', '/containers/delete journal-3',
    '/containers/create journal-4', '/snapshot/prepare journal-4', '/tasks/create journal-4', '/tasks/start journal-4', '/tasks/oom journal-4', '/tasks/exit journal-4', '/tasks/delete journal-4', '/snapshot/remove journal-4', '/containers/delete journal-4',
    `/images/create ${ref}`, `/images/delete ${ref}`,
  ];
  assert.equal(seen, expected, `events seen:\n${seen.join('\n')}`);
  const byKey = new Map(events.map((e) => [key(e), e]));
  assert.is(byKey.get('/tasks/exit journal-1')!.event.exit_status, 0);
  assert.is(byKey.get('/tasks/exit journal-2')!.event.exit_status, 137);
  assert.is(byKey.get('/tasks/exit journal-3')!.event.exit_status, 137, 'SIGKILL: 128+9, written by the monitor');
  assert.is(byKey.get('/tasks/exit journal-4')!.event.exit_status, 137);
  assert.match(String(byKey.get('/tasks/exit journal-3')!.event.exited_at), /^\d{4}-\d\d-\d\dT[\d:]+\.\d{9}Z$/);
  for (const e of events) {
    assert.is(e.namespace, 'default');
    assert.match(e.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  }
  // The journal holds the same lines the follower printed.
  const journal = readFileSync(`${env.root}/events/journal`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Ev);
  assert.ok(journal.length >= events.length);
  await reg.stop();
}, registryUnavailable() === undefined);

rootTest(test, 'a follower started without --since prints only what comes after it; --filter and text output', async () => {
  ok(['namespaces', 'create', 'journal-ns']);
  const p = env.spawn(['events', '--filter', 'topic==/namespaces/update', '--filter', 'topic==/namespaces/*,namespace==journal-ns2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
  // It follows from the end of the journal as it finds it: label until it shows one (no sleep on a guess).
  for (let i = 0; !out.includes('/namespaces/update'); i++) {
    assert.ok(i < 100, 'the follower never showed an event');
    ok(['namespaces', 'label', 'journal-ns', `n=${i}`]);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.not.match(out, /journal-ns \/namespaces\/create/, 'nothing from before it started');
  ok(['namespaces', 'create', 'journal-ns2']);
  ok(['namespaces', 'rm', 'journal-ns2']);
  ok(['namespaces', 'rm', 'journal-ns']);
  await until('the delete', () => out.includes('/namespaces/delete'));
  p.kill('SIGINT');
  assert.is(await exited, 0);
  const lines = out.trim().split('\n').filter((l) => l.includes(' journal-ns2 '));
  assert.is(lines.length, 2, out);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC journal-ns2 \/namespaces\/create \{"name":"journal-ns2","labels":\{\}\}$/);
  assert.match(lines[1]!, / journal-ns2 \/namespaces\/delete \{"name":"journal-ns2"\}$/);
  assert.not.match(out, /journal-ns \/namespaces\/delete/, 'the filter leaves out the other namespace\'s delete');
});

test.run();
