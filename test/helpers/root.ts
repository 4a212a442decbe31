// Root-only tests: they run as root (as CI does) and otherwise skip with a
// printed reason, never silently.
import type { Test } from 'uvu';

export const isRoot = typeof process.geteuid === 'function' && process.geteuid() === 0;

const printed = new Set<string>();
export function rootTest(test: Test, name: string, fn: () => void | Promise<void>): void {
  if (isRoot) {
    test(name, fn);
    return;
  }
  if (!printed.has(name)) {
    printed.add(name);
    console.log(`  SKIP ${name}: needs root (running as uid ${process.geteuid?.()})`);
  }
  test.skip(name, fn);
}

/** Skip with a reason when a peer tool is missing. CI installs them all, so there they run. */
export function requireTool(test: Test, tool: string, name: string, fn: () => void | Promise<void>, available: boolean): void {
  if (available) {
    rootTest(test, name, fn);
    return;
  }
  console.log(`  SKIP ${name}: ${tool} is not installed (apt-get install ${tool})`);
  test.skip(name, fn);
}
