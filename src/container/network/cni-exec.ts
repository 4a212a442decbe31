// Running one CNI plugin (SPEC.md "Execution protocol"): the command and its
// parameters in CNI_* environment variables, the network configuration on
// stdin, a result or an error report on stdout, bounded in size and time.
import { spawn } from 'node:child_process';
import { TsctrError } from '../../errors.js';
import { MAX_PLUGIN_OUTPUT, parseCniError, type CniErrorReport } from './cni-result.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

export interface PluginCall {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS: "K=V;K2=V2". */
  args: string;
  binDirs: string[];
  /** What the plugin reads on stdin. */
  config: Record<string, unknown>;
  network: string;
  /** Called with one line per finished call (run --trace). */
  trace?: (line: string) => void;
}

const TIMEOUT_MS = 120_000;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Well-known error codes (SPEC.md "Error"), for the hint. */
const CODE_HINTS: Record<number, string> = {
  1: 'the plugin does not speak this config\'s cniVersion',
  2: 'the config has a field the plugin does not know',
  3: 'the container is not known to the plugin (already deleted?)',
  4: 'check the network config: tsctr network inspect NAME',
  6: 'the plugin could not decode its config',
  7: 'the plugin refused its environment (CNI_* variables)',
  11: 'a transient failure: try again',
};

/** A plugin failed: its code, msg and details (or its stderr when it printed no report). */
export class CniPluginError extends TsctrError {
  constructor(readonly plugin: string, readonly command: CniCommand, readonly network: string, readonly report: CniErrorReport | undefined, stderr: string, exit: string) {
    const what = report ? `code ${report.code}: ${report.msg}${report.details ? ` (${report.details})` : ''}` : `${exit}${stderr ? `: ${stderr}` : ''}`;
    super('Unavailable', `CNI plugin ${plugin} ${command} on network "${network}": ${what}`, {
      hint: (report && CODE_HINTS[report.code]) ?? 'see the plugin\'s message; tsctr network inspect shows the config it was given',
    });
    this.name = 'CniPluginError';
  }
}

/** Runs the plugin binary; resolves to its stdout (a result, or empty for DEL/CHECK). */
export function execPlugin(path: string, plugin: string, call: PluginCall): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH || PATH,
      CNI_COMMAND: call.command,
      CNI_CONTAINERID: call.containerId,
      CNI_NETNS: call.netns,
      CNI_IFNAME: call.ifName,
      CNI_ARGS: call.args,
      CNI_PATH: call.binDirs.join(':'),
    };
    const child = spawn(path, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outLen = 0;
    let err = Buffer.alloc(0);
    let tooBig = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      outLen += d.length;
      if (outLen > MAX_PLUGIN_OUTPUT) {
        if (!tooBig) child.kill('SIGKILL');
        tooBig = true;
        return;
      }
      out.push(d);
    });
    // Keep the tail of stderr: the last lines say what went wrong.
    child.stderr.on('data', (d: Buffer) => { err = Buffer.concat([err, d]).subarray(-4096); });
    child.on('error', (e) => { clearTimeout(timer); reject(new TsctrError('Unavailable', `CNI plugin ${plugin} ${call.command}: cannot run ${path}: ${e.message}`, { cause: e })); });
    const t0 = performance.now();
    child.on('close', (code, signal) => {
      call.trace?.(`CNI ${call.command} ${plugin} (network ${call.network}, ${call.ifName}): ${code === 0 ? 'ok' : signal ?? `exit ${code}`} in ${(performance.now() - t0).toFixed(1)} ms`);
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = err.toString('utf8').replace(/[\0-\x1f\x7f]+/g, ' ').trim().slice(-500);
      if (tooBig) return reject(new CniPluginError(plugin, call.command, call.network, undefined, '', `printed more than ${MAX_PLUGIN_OUTPUT} bytes`));
      if (signal) return reject(new CniPluginError(plugin, call.command, call.network, undefined, stderr, signal === 'SIGKILL' ? `killed after ${TIMEOUT_MS / 1000} s or by SIGKILL` : `killed by ${signal}`));
      if (code !== 0) return reject(new CniPluginError(plugin, call.command, call.network, parseCniError(stdout), stderr, `exited with status ${code}`));
      resolve(stdout);
    });
    child.stdin.on('error', () => { /* the plugin may exit without reading its config */ });
    child.stdin.end(JSON.stringify(call.config));
  });
}
