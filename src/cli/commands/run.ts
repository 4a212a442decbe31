// tsctr run [flags] IMAGE ID [COMMAND] [ARG...]   (or --rootfs DIR ID …)
// = containers create + tasks start (+ containers rm with --rm), as ctr run.
import type { Argv } from 'yargs';
import { setOperation } from '../context.js';
import { listOf, parseLabels } from '../flags.js';
import { addContainerFlags, containerRequestOf, insertDashDash, positionalsOf, type ContainerArgs } from '../flags-run.js';

export function prepareArgv(argv: string[], commandIndex: number): string[] {
  return insertDashDash(argv, commandIndex + 1);
}

interface RunArgs extends ContainerArgs { rm: boolean; detach: boolean; 'dry-run': boolean }

const USAGE = 'tsctr run [flags] IMAGE ID [COMMAND]';

export default function register(y: Argv): Argv {
  return addContainerFlags(y)
    .usage('tsctr run [flags] IMAGE ID [COMMAND] [ARG...]\ntsctr run [flags] --rootfs DIR ID [COMMAND] [ARG...]\n\nRun a container in the foreground; exits with its exit code (128+signal when killed).\nThe same as tsctr containers create, then tsctr tasks start (-d: tasks start -d).')
    .option('rm', { type: 'boolean', default: false, describe: 'remove the container and its snapshot when it exits' })
    .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'leave the container running in the background (output in the task\'s log)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the launch plan and do not run' })
    .example('tsctr run -t --rm docker.io/library/busybox:latest c1 sh', 'an interactive shell')
    .example('echo hi | tsctr run --rm busybox c2 cat', 'pipes pass through')
    .example('tsctr run -d busybox web httpd -f', 'in the background; see tsctr tasks ls / logs / exec')
    .example('tsctr run -d --cni -p 8080:80 busybox web httpd -f -p 80', 'on the tsctr0 bridge network, port 8080 of the host published')
    .command('$0', false, {}, async (argv) => {
      const a = argv as unknown as RunArgs;
      const p = positionalsOf(a, USAGE);
      setOperation(`run ${p.id}`);
      const { loadSys } = await import('../../sys/index.js');
      const { runContainer } = await import('../../container/run.js');
      process.exitCode = await runContainer({
        ...containerRequestOf(a, p, parseLabels(listOf(a.label))),
        sys: await loadSys(), rm: a.rm, detach: a.detach,
        dryRun: a['dry-run'] ? (l) => process.stdout.write(l + '\n') : undefined,
        notice: (l) => process.stderr.write(`tsctr: ${l}\n`),
      });
    });
}
