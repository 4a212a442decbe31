// The CNI protocol over a network configuration list (SPEC.md "Network
// configuration list runtime semantics"): ADD runs the plugins in order, each
// given the previous one's result as prevResult; DEL runs them in reverse
// with the ADD result; CHECK (0.4.0+) in order with it. Capability args
// (portMappings) go to plugins that declare them as runtimeConfig.
import { execPlugin, type CniCommand } from './cni-exec.js';
import { findPlugin, type NetworkConfList, type PluginConf } from './cni-config.js';
import { CniResultError, parseCniResult, type CniResult } from './cni-result.js';
import { TsctrError } from '../../errors.js';

export interface Runtime {
  containerId: string;
  netns: string;
  ifName: string;
  binDirs: string[];
  /** CNI_ARGS */
  args: string;
  capabilityArgs: Record<string, unknown>;
  trace?: (line: string) => void;
}

/** The config one plugin reads: its own, plus name, cniVersion, runtimeConfig and prevResult. */
export function pluginConfig(list: NetworkConfList, plugin: PluginConf, rt: Pick<Runtime, 'capabilityArgs'>, prevResult?: Record<string, unknown>): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
    if (on === true && rt.capabilityArgs[cap] !== undefined) runtimeConfig[cap] = rt.capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
  else delete conf.runtimeConfig;
  if (prevResult) conf.prevResult = prevResult;
  else delete conf.prevResult;
  return conf;
}

async function call(list: NetworkConfList, plugin: PluginConf, command: CniCommand, rt: Runtime, prev?: Record<string, unknown>): Promise<string> {
  const path = findPlugin(plugin.type, rt.binDirs);
  return execPlugin(path, plugin.type, {
    command, containerId: rt.containerId, netns: rt.netns, ifName: rt.ifName, args: rt.args, binDirs: rt.binDirs, network: list.name, trace: rt.trace,
    config: pluginConfig(list, plugin, rt, prev),
  });
}

/** ADD through the list; on a failure the plugins already run are DELeted before the error is thrown. */
export async function addNetwork(list: NetworkConfList, rt: Runtime): Promise<CniResult> {
  let result: CniResult | undefined;
  try {
    for (const plugin of list.plugins) {
      const out = await call(list, plugin, 'ADD', rt, result?.raw);
      try {
        result = parseCniResult(out);
      } catch (e) {
        if (e instanceof CniResultError) throw new TsctrError('Unavailable', `CNI plugin ${plugin.type} ADD on network "${list.name}": bad result: ${e.message}`, { cause: e });
        throw e;
      }
    }
  } catch (e) {
    await delNetwork(list, rt, result?.raw).catch(() => undefined);
    throw e;
  }
  return result!;
}

/** DEL through the list in reverse. Every plugin is called even when one fails; the first error is thrown after. */
export async function delNetwork(list: NetworkConfList, rt: Runtime, prevResult?: Record<string, unknown>): Promise<void> {
  // prevResult on DEL exists from 0.4.0 on.
  const prev = list.cniVersion === '0.3.0' || list.cniVersion === '0.3.1' ? undefined : prevResult;
  let first: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    try { await call(list, plugin, 'DEL', rt, prev); } catch (e) { first ??= e; }
  }
  if (first) throw first;
}

/** CHECK through the list, or a reason it cannot be checked. */
export async function checkNetwork(list: NetworkConfList, rt: Runtime, prevResult: Record<string, unknown> | undefined, excuse: (e: unknown) => boolean = () => false): Promise<void> {
  if (list.cniVersion === '0.3.0' || list.cniVersion === '0.3.1') throw new TsctrError('FailedPrecondition', `network "${list.name}": CHECK needs cniVersion 0.4.0 or later (it is ${list.cniVersion})`);
  if (list.disableCheck) throw new TsctrError('FailedPrecondition', `network "${list.name}": its config sets disableCheck`);
  if (!prevResult) throw new TsctrError('FailedPrecondition', `network "${list.name}": no ADD result was recorded for this container`);
  for (const plugin of list.plugins) {
    try { await call(list, plugin, 'CHECK', rt, prevResult); } catch (e) { if (!excuse(e)) throw e; }
  }
}
