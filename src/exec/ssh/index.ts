/** meshctl's SSH layer: see types.ts for the interface, connector.ts for the SSH implementation. */
export { createSshConnector, DEFAULT_PASSPHRASE_ENV, type SshConnectorOptions } from "./connector.js";
export * from "./errors.js";
export {
  checkHostKey,
  fingerprint,
  formatKnownHostsLine,
  type HostKeyVerdict,
  hostKeyName,
  type KnownHostEntry,
  KnownHostsFile,
  parseKnownHosts,
} from "./known-hosts.js";
export { remoteCommand, shQuote } from "./quote.js";
export type * from "./types.js";
