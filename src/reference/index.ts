// Image references: `[domain/]path[:tag][@digest]`, normalised the way Docker,
// containerd and go-containerregistry pkg/name do it. Grammar from
// distribution/reference (reference.go):
//
//   reference      := name [ ":" tag ] [ "@" digest ]
//   name           := [domain "/"] path-component ["/" path-component]*
//   domain         := domain-component ["." domain-component]* [":" port]
//   path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := [_.] | "__" | "-"+
//   tag            := [\w][\w.-]{0,127}
//   digest         := algorithm ":" hex
//
// The first component is a domain only when it contains "." or ":", is
// "localhost", or has uppercase letters (which a path may not); otherwise the
// image lives on Docker Hub and one-component names get "library/".
import { InvalidArgumentError } from '../errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
/** Docker Hub's API endpoint: docker.io is a name, not a server. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
export const DEFAULT_TAG = 'latest';
const OFFICIAL_PREFIX = 'library/';
const NAME_MAX = 255;
const TAG_MAX = 128;

const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]*$/;
const DIGEST_ALG = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;
const HEX_LEN: Record<string, number> = { sha256: 64, sha512: 128 };

export class Reference {
  constructor(
    readonly domain: string,
    /** The repository path inside the registry, e.g. `library/busybox`. */
    readonly path: string,
    readonly tag?: string,
    readonly digest?: string,
  ) {}

  /** domain/path, e.g. `docker.io/library/busybox`. */
  get name(): string {
    return `${this.domain}/${this.path}`;
  }

  /** The tag or digest a registry request names: the digest wins when both are set. */
  get object(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG;
  }

  /** Full normalised form: `docker.io/library/busybox:latest`, `name@sha256:…`, or `name:tag@sha256:…`. */
  toString(): string {
    return this.name + (this.tag ? `:${this.tag}` : '') + (this.digest ? `@${this.digest}` : '');
  }

  /** Short form as `docker images` shows it: `busybox:latest`, `user/repo:tag`. */
  familiar(): string {
    let n = this.name;
    if (this.domain === DEFAULT_DOMAIN) n = this.path.startsWith(OFFICIAL_PREFIX) ? this.path.slice(OFFICIAL_PREFIX.length) : this.path;
    return n + (this.tag ? `:${this.tag}` : '') + (this.digest ? `@${this.digest}` : '');
  }

  withTag(tag: string): Reference {
    checkTag(tag, tag);
    return new Reference(this.domain, this.path, tag, undefined);
  }

  withDigest(digest: string): Reference {
    checkDigest(digest, digest);
    return new Reference(this.domain, this.path, undefined, digest);
  }
}

function invalid(input: string, why: string, hint?: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid reference "${input}": ${why}`, {
    hint: hint ?? 'use [registry[:port]/]repository[:tag][@sha256:<64 hex>], e.g. docker.io/library/busybox:latest',
  });
}

function checkTag(input: string, tag: string): void {
  if (tag === '') throw invalid(input, 'empty tag after ":"');
  if (tag.length > TAG_MAX) throw invalid(input, `tag is ${tag.length} characters long, at most ${TAG_MAX} are allowed`);
  if (!TAG.test(tag)) throw invalid(input, `tag "${tag}" may only contain letters, digits, "_", "." and "-", and must not start with "." or "-"`);
}

function checkDigest(input: string, digest: string): void {
  const colon = digest.indexOf(':');
  if (colon <= 0) throw invalid(input, `digest "${digest}" must be <algorithm>:<hex>`);
  const alg = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (!DIGEST_ALG.test(alg)) throw invalid(input, `digest algorithm "${alg}" is malformed`);
  const want = HEX_LEN[alg];
  if (want === undefined) throw invalid(input, `unsupported digest algorithm "${alg}" (sha256 or sha512)`);
  if (!/^[0-9a-f]*$/.test(hex)) throw invalid(input, `digest hex "${hex}" must be lowercase hexadecimal`);
  if (hex.length !== want) throw invalid(input, `${alg} digest must have ${want} hex characters, got ${hex.length}`);
}

function checkDomain(input: string, domain: string): void {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const end = domain.indexOf(']');
    host = domain.slice(0, end + 1);
    const rest = domain.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw invalid(input, `bad registry host "${domain}"`);
    if (rest) port = rest.slice(1);
    if (!IPV6.test(host)) throw invalid(input, `bad IPv6 registry address "${host}"`);
  } else {
    const colon = domain.lastIndexOf(':');
    if (colon >= 0) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (host === '') throw invalid(input, `registry host is empty in "${domain}"`);
    for (const c of host.split('.')) {
      if (!DOMAIN_COMPONENT.test(c)) throw invalid(input, `bad registry host "${host}": "${c}" is not a valid DNS label`);
    }
  }
  if (port !== undefined) {
    if (!/^[0-9]+$/.test(port)) throw invalid(input, `bad port "${port}" in registry "${domain}": must be a number`);
    const n = Number(port);
    if (n < 1 || n > 65535) throw invalid(input, `bad port ${port} in registry "${domain}": must be 1-65535`);
  }
}

function checkPath(input: string, path: string): void {
  if (path === '') throw invalid(input, 'repository name is empty');
  for (const c of path.split('/')) {
    if (c === '') throw invalid(input, `repository "${path}" has an empty path component`);
    if (/[A-Z]/.test(c)) throw invalid(input, `repository name "${path}" must be lowercase`);
    if (!PATH_COMPONENT.test(c)) {
      throw invalid(input, `repository path component "${c}" may only contain a-z, 0-9 and single separators ".", "_", "__" or "-" between them`);
    }
  }
}

/** Splits off the registry domain: docker's splitDockerDomain. */
function splitDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_PREFIX + name];
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  const isDomain = first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
  if (!isDomain) return [DEFAULT_DOMAIN, name];
  let domain = first;
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  let path = rest;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  return [domain, path];
}

/**
 * Parses and normalises an image reference. Throws InvalidArgumentError that
 * names the offending part. A bare name gets the tag `latest`; a reference
 * with a digest keeps its tag only when one was written.
 */
export function parseReference(s: string): Reference {
  const input = s;
  if (typeof s !== 'string' || s.trim() === '') throw invalid(String(s), 'reference is empty', 'name an image, e.g. docker.io/library/busybox:latest');
  if (s !== s.trim() || /\s/.test(s)) throw invalid(input, 'contains whitespace');
  if (/^[a-z]+:\/\//i.test(s)) throw invalid(input, 'a reference has no URL scheme', `drop "${s.slice(0, s.indexOf('//') + 2)}"; use --plain-http for a registry without TLS`);
  if (/^[a-f0-9]{64}$/.test(s)) throw invalid(input, 'a 64-character hex string is an image ID, not a reference', 'use repository@sha256:<hex>');

  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest === '') throw invalid(input, 'empty digest after "@"');
    if (digest.includes('@')) throw invalid(input, 'more than one "@"');
    checkDigest(input, digest);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0 && colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    checkTag(input, tag);
  }
  if (rest === '') throw invalid(input, 'repository name is empty');
  if (rest.length > NAME_MAX) throw invalid(input, `repository name is ${rest.length} characters long, at most ${NAME_MAX} are allowed`);
  if (rest.startsWith('/') || rest.endsWith('/')) throw invalid(input, 'repository name must not start or end with "/"');

  const [domain, path] = splitDomain(rest);
  checkDomain(input, domain);
  checkPath(input, path);
  if (domain.length + 1 + path.length > NAME_MAX) throw invalid(input, `repository name is longer than ${NAME_MAX} characters once normalised`);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return new Reference(domain, path, tag, digest);
}

/** The host[:port] that serves the registry API for a reference's domain. */
export function apiHost(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === LEGACY_DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : domain;
}
