// The registry client: what the rest of tsctr imports from src/remote.
import type { Descriptor } from '../descriptor/index.js';
import type { Reference } from '../reference/index.js';
import { Client } from './client.js';

export interface RemoteOptions {
  plainHttp?: boolean;
  skipVerify?: boolean;
  /** CA certificate files (PEM), added to the system roots. */
  tlsCaCert?: string[];
  /** "user[:password]"; the password is asked via askPassword when omitted. */
  user?: string;
  askPassword?: (prompt: string) => Promise<string>;
  /** containerd hosts.toml layout: <dir>/<host[:port]>/hosts.toml. */
  hostsDir?: string;
  /** Default $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
  dockerConfigPath?: string;
  /** How long a docker-credential-<name> helper may take (default 60 s). */
  credentialHelperTimeoutMs?: number;
  /** Attempts per request on 429, 5xx, ECONNRESET/ETIMEDOUT (default 5). */
  maxAttempts?: number;
  /** Base of the exponential backoff between attempts in ms (default 250). */
  retryDelayMs?: number;
  /** Debug lines. */
  log?: (line: string) => void;
}

export interface RegistryClient {
  /** Tag or digest → descriptor of the manifest or index (HEAD, GET fallback). */
  resolve(ref: Reference): Promise<Descriptor>;
  /** The manifest bytes, verified against desc (size, digest), ≤ 4 MiB, JSON, known mediaType. */
  fetchManifest(ref: Reference, desc: Descriptor): Promise<Buffer>;
  /**
   * A blob's bytes from `offset` (Range). The returned offset is 0 when the
   * server ignored Range. Not verified: the content store hashes it. A lost
   * connection is a stream error (code ECONNRESET, `received` bytes).
   */
  fetchBlob(ref: Reference, desc: Descriptor, offset?: number): Promise<{ stream: NodeJS.ReadableStream; offset: number }>;
  blobExists(ref: Reference, desc: Descriptor): Promise<boolean>;
  /** Uploads unless present: monolithic PUT, or PATCH chunks of chunkSize bytes. */
  pushBlob(ref: Reference, desc: Descriptor, open: () => NodeJS.ReadableStream, opts?: { chunkSize?: number }): Promise<'exists' | 'uploaded'>;
  /** PUT to ref.tag, or to desc.digest when the reference has no tag. */
  pushManifest(ref: Reference, desc: Descriptor, body: Buffer): Promise<void>;
}

export function createRegistryClient(opts: RemoteOptions = {}): RegistryClient {
  return new Client(opts);
}

export { RegistryError } from './errors.js';
export { MAX_MANIFEST_BYTES, MANIFEST_TYPES } from './manifest-check.js';
export { parseHostsToml, resolveEndpoints, type Endpoint, type Capability } from './hosts.js';
export { parseChallenges, type Challenge } from './www-authenticate.js';
export { findCredentials, lookupCredentials, type Credentials } from './docker-config.js';
