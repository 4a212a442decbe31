// native/journal.c (tsctr-monitor's writer) and journal.ts write one journal
// together: C and TypeScript processes append concurrently while it rotates
// under a follower, which sees every event of both, once, in order. The C
// side is compiled here from native/journal.c with a tiny driver.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { followJournal } from '../../../../src/container/events/follow.js';
import type { Envelope } from '../../../../src/container/events/topics.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '../../../../..');
const JOURNAL_JS = join(HERE, '../../../../src/container/events/journal.js');
const SYS_JS = join(HERE, '../../../../src/sys/index.js');
const cc = spawnSync('sh', ['-c', 'command -v cc'], { encoding: 'utf8' }).stdout.trim();

// argv: events dir, limit, id, count → count × /tasks/exit {container_id: id, pid: i}
const DRIVER = `
#include <stdio.h>
#include <stdlib.h>
#include "journal.h"
int main(int argc, char **argv) {
	if (argc != 5) return 2;
	struct tsctr_journal j = { argv[1], strtoull(argv[2], NULL, 10), "journal-unit", argv[3] };
	for (int i = 0; i < atoi(argv[4]); i++)
		if (tsctr_journal_task_exit(&j, i, 0) < 0) return 1;
	return 0;
}
`;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => { err += d; });
    p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${c}: ${err}`))));
  });
}

const name = 'C (native/journal.c) and TypeScript writers share the journal: a follower sees every event of both across rotations';
if (!cc) {
  console.log(`  SKIP ${name}: no C compiler (cc)`);
  test.skip(name, () => {});
} else {
  test(name, async () => {
    const root = mkdtempSync('/tmp/tsctr-unit-journal-c-');
    try {
      writeFileSync(join(root, 'driver.c'), DRIVER);
      execFileSync(cc, ['-O2', '-std=gnu11', '-Wall', '-I', join(REPO, 'native'), '-o', join(root, 'driver'), join(root, 'driver.c'), join(REPO, 'native/journal.c')]);
      const seen: Envelope[] = [];
      const warnings: string[] = [];
      const stop = new AbortController();
      const done = followJournal({ root, onEvent: (e) => seen.push(e), warn: (w) => warnings.push(w), signal: stop.signal });
      await new Promise((r) => setTimeout(r, 50));
      // 1500 lines of ~175 bytes: one rotation. (C writers fill a journal in milliseconds; a follower
      // that sleeps through more than two rotations misses what was rotated away: see README.)
      const limit = 192 * 1024;
      const ts = `
        const { appendToJournal } = await import(${JSON.stringify(JOURNAL_JS)});
        const sys = await (await import(${JSON.stringify(SYS_JS)})).loadSys();
        const [root, id, count, limit] = process.argv.slice(1);
        for (let i = 0; i < Number(count); i++) appendToJournal(root, 'journal-unit', '/tasks/exit', { container_id: id, id, pid: i, exit_status: 0, exited_at: '2026-01-01T00:00:00Z' }, { sys, limit: Number(limit) });
      `;
      await Promise.all([
        ...[0, 1, 2].map((i) => run(join(root, 'driver'), [join(root, 'events'), String(limit), `c${i}`, '300'])),
        ...[0, 1].map((i) => run(process.execPath, ['--input-type=module', '-e', ts, root, `t${i}`, '300', String(limit)])),
      ]);
      for (let i = 0; i < 200 && seen.length < 1500; i++) await new Promise((r) => setTimeout(r, 20));
      stop.abort();
      await done;
      assert.equal(warnings, [], 'every line parses');
      assert.is(seen.length, 1500);
      const next = new Map<string, number>();
      for (const e of seen) {
        const id = String(e.event.container_id);
        assert.is(e.event.pid, next.get(id) ?? 0, `events of ${id} once each, in order`);
        next.set(id, (next.get(id) ?? 0) + 1);
        assert.is(e.topic, '/tasks/exit');
        assert.match(e.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      }
      assert.equal([...next.values()], [300, 300, 300, 300, 300]);
      // The C writer's lines are the same shape as ours.
      const c = seen.find((e) => e.event.container_id === 'c0')!;
      assert.equal(Object.keys(c.event), ['container_id', 'id', 'pid', 'exit_status', 'exited_at']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test.run();
