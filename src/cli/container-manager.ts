// What the containers and tasks commands share: the store of the namespace
// the user named, the system calls, and a way to tell the user about cleanups.
import type { GlobalArgs } from './context.js';

export async function openManager(a: GlobalArgs) {
  const { loadSys } = await import('../sys/index.js');
  const { ContainerStore } = await import('../container/store.js');
  return { store: new ContainerStore(a.root, a.state, a.namespace), sys: await loadSys(), notice: (l: string) => process.stderr.write(`tsctr: ${l}\n`) };
}
