export { createCgroupManager, type CgroupManager, type CgroupStats, type ManagerOptions } from './manager.js';
export { readStats, readOomKills, encodeJson, type RuncStats, type StatsSource } from './stats.js';
export { detectCgroupLayout, detectHostCgroups, parseMountinfo, parseProcCgroup, type CgroupLayout, type Hierarchy } from './detect.js';
export { CgroupError } from './files.js';
export { formatDeviceRule } from './v1.js';
export { convertSharesToWeight, convertBlkioToIoWeight } from './v2.js';
export { resolveDeviceRules, formatException, type DeviceList, type DeviceException } from './device-rules.js';
export { compileDeviceFilter, formatDeviceFilter, runDeviceFilter, type DeviceFilter } from './device-filter.js';
export { attachDeviceFilter, loadDeviceFilter, enforceDeviceRules, type BpfSys } from './device-bpf.js';
