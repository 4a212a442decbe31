// spec, features, and checkpoint/restore: refused with one line and runc's
// exit status 1 (runc without criu fails the same way), whatever flags the
// shim passes (go-runc: --image-path, --work-path, --leave-running, …).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { AlreadyExistsError, FailedPreconditionError } from '../errors.js';
import { defaultSpec } from '../oci/spec/index.js';
import { OCI_VERSION } from '../oci/state.js';
import { out } from './runtime.js';

export default function register(y: Argv): Argv {
  return y
    .command('spec', 'write a default config.json for a bundle', (c) => c.option('bundle', { alias: 'b', type: 'string', default: '.' }).option('rootless', { type: 'boolean', default: false }), (a) => {
      if (a.rootless) throw new FailedPreconditionError('rootless containers are not supported');
      const file = join(a.bundle, 'config.json');
      if (existsSync(file)) throw new AlreadyExistsError(`File ${file} exists. Remove it first`);
      const spec = defaultSpec({ args: ['sh'] });
      spec.process!.terminal = true;
      spec.root = { path: 'rootfs', readonly: true };
      delete spec.linux!.cgroupsPath;
      writeFileSync(file, JSON.stringify(spec, null, '\t') + '\n');
    })
    .command('features', 'print what this runtime supports (runtime-spec features JSON)', (c) => c, () => {
      out(JSON.stringify(features(), null, '    ') + '\n');
    })
    .command('checkpoint [id]', 'not supported (no CRIU)', (c) => c.positional('id', { type: 'string' }).strict(false), () => {
      throw new FailedPreconditionError('checkpoint is not supported by tsctr-runc (no CRIU support)');
    })
    .command('restore [id]', 'not supported (no CRIU)', (c) => c.positional('id', { type: 'string' }).strict(false), () => {
      throw new FailedPreconditionError('restore is not supported by tsctr-runc (no CRIU support)');
    });
}

function features() {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'mand', 'noatime', 'nodev', 'nodiratime', 'noexec', 'nomand', 'norelatime', 'nostrictatime', 'nosuid', 'private', 'rbind', 'relatime', 'remount', 'ro', 'rprivate', 'rshared', 'rslave', 'runbindable', 'rw', 'shared', 'slave', 'strictatime', 'suid', 'sync', 'unbindable'],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts', 'time'],
      capabilities: undefined,
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'io.github.tsctr.runtime': 'tsctr-runc' },
  };
}
