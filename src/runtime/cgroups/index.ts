export { createCgroupManager, type CgroupManager, type CgroupStats, type ManagerOptions } from './manager.js';
export { detectCgroupLayout, detectHostCgroups, parseMountinfo, parseProcCgroup, type CgroupLayout, type Hierarchy } from './detect.js';
export { CgroupError } from './files.js';
export { formatDeviceRule } from './v1.js';
export { convertSharesToWeight, convertBlkioToIoWeight } from './v2.js';
