// tsctr oci spec: print the default OCI runtime config, as `ctr oci spec`
// does; --seccomp adds the default seccomp profile, --validate checks a file.
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { InvalidArgumentError } from '../../errors.js';
import { defaultSeccompProfile } from '../../oci/seccomp/default-profile.js';
import { defaultSpec, validateSpec, type Spec } from '../../oci/spec/index.js';
import { printJson } from '../render.js';

export default function register(y: Argv): Argv {
  return y
    .command('spec', 'print the default OCI runtime spec (config.json)', (c) => c
      .option('id', { type: 'string', describe: 'container id (sets linux.cgroupsPath)' })
      .option('seccomp', { type: 'boolean', default: false, describe: 'include the default seccomp profile' })
      .example('$0 oci spec > config.json', 'write a config to edit'),
    (args) => {
      const spec = defaultSpec({ id: args.id, namespace: String(args.namespace) });
      if (args.seccomp) spec.linux!.seccomp = defaultSeccompProfile(spec.process!.capabilities!.bounding);
      printJson(spec);
    })
    .command('validate <file>', 'check a config.json; names the first bad field', (c) => c.positional('file', { type: 'string', demandOption: true }), (args) => {
      let spec: Spec;
      try {
        spec = JSON.parse(readFileSync(String(args.file), 'utf8')) as Spec;
      } catch (e) {
        throw new InvalidArgumentError(`${args.file}: ${(e as Error).message}`, { cause: e });
      }
      validateSpec(spec);
      process.stdout.write(`${args.file}: valid\n`);
    })
    .demandCommand(1, 'name a subcommand; see --help');
}
