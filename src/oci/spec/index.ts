export type * from './types.js';
export { defaultSpec, defaultDeviceRules, DEFAULT_CAPABILITIES, DEFAULT_DEVICES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_PATH, type DefaultSpecOptions } from './defaults.js';
export { validateSpec, findSpecErrors } from './validate.js';
export { CAPABILITIES, CAP_LAST_CAP, findCapability, nameCapability, maskCapabilities, listCapabilities, type CapabilityName } from './capabilities.js';
export { findUnsupported, REFUSED_FIELDS } from './support.js';
export { parseIoPriority, parsePersonality, parseTimeOffsets, IOPRIO_WHO_PROCESS } from './linux-attrs.js';
