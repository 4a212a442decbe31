// Undo steps collected while a container is set up, run in reverse on every
// exit path. A failing step does not stop the others; their errors are kept.
// Each step is a phase of --trace (`undo NAME`).
import { phase } from '../util/phases.js';

export class Teardown {
  private steps: { what: string; fn: () => void | Promise<void> }[] = [];
  readonly errors: Error[] = [];

  push(what: string, fn: () => void | Promise<void>): void {
    this.steps.push({ what, fn });
  }

  /** Keeps what was set up (a detached container goes on running): nothing is undone. */
  forget(): void {
    this.steps = [];
  }

  async run(): Promise<Error[]> {
    while (this.steps.length) {
      const s = this.steps.pop()!;
      try {
        await phase(`undo ${s.what}`, s.fn);
      } catch (e) {
        this.errors.push(new Error(`${s.what}: ${(e as Error).message}`, { cause: e }));
      }
    }
    return this.errors;
  }
}
