// What this seccomp implementation honours, in the shape of the runtime-spec
// features document (features-linux.md, "seccomp"), for `runc features`-style
// output: derived from the same tables the compiler uses, so it cannot claim
// what compileSeccomp refuses.
import { SECCOMP_OPERATORS } from '../spec/validate.js';
import { compiledSpecArches } from './compile.js';
import { FILTER_FLAGS } from './fields.js';

export interface SeccompFeatures {
  enabled: boolean;
  actions: string[];
  operators: string[];
  archs: string[];
  knownFlags: string[];
  supportedFlags: string[];
}

const ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'];

export function seccompFeatures(): SeccompFeatures {
  return {
    enabled: true,
    // SCMP_ACT_NOTIFY is refused (no seccomp agent support).
    actions: ACTIONS,
    operators: [...SECCOMP_OPERATORS],
    archs: compiledSpecArches(),
    // Known: the flags the runtime-spec names; supported: the ones passed to seccomp(2).
    knownFlags: [...Object.keys(FILTER_FLAGS), 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
    supportedFlags: Object.keys(FILTER_FLAGS),
  };
}
