// Signal names as runc's kill takes them: KILL, SIGKILL, 9; RTMIN+n too.
import { InvalidArgumentError } from '../errors.js';
import { SIGNALS } from '../sys/constants.js';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

export function parseSignal(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && n <= SIGRTMAX) return n;
    throw new InvalidArgumentError(`unknown signal ${JSON.stringify(text)}`);
  }
  const name = t.toUpperCase().replace(/^SIG/, '');
  const known = SIGNALS['SIG' + name];
  if (known !== undefined) return known;
  const rt = /^RTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'IN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw new InvalidArgumentError(`unknown signal ${JSON.stringify(text)}`, { hint: 'a name such as TERM, SIGKILL, or a number' });
}
