/**
 * Host key verification over the known_hosts files of a host (UserKnownHostsFile may name several, as
 * OpenSSH reads them): a key @revoked in any file is refused, a matching key in any file is accepted, a
 * host known in any file with another key (of any type) is a mismatch; only a host no file knows may be
 * appended to the first file, and only with accept-new.
 */
import {
  HostKeyMismatchError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  KnownHostsWriteError,
  type SshError,
} from "./errors.js";
import { fingerprint, type KnownHostsFile, keyTypeOf, knownKeyTypes } from "./known-hosts.js";

export interface HostKeyCheck {
  /** Host key algorithms to prefer (the types already known for this host). */
  knownTypes: string[];
  /** ssh2's hostVerifier. */
  verify(key: Buffer, done: (ok: boolean) => void): void;
  /** The error behind a refusal, once verify said no. */
  error(): SshError | undefined;
}

export function hostKeyCheck(
  name: string,
  lookup: string,
  files: KnownHostsFile[],
  acceptNew: boolean,
): HostKeyCheck {
  let failure: SshError | undefined;
  const first = files[0];
  return {
    knownTypes: [...new Set(files.flatMap((f) => knownKeyTypes(f.entries, lookup)))],
    error: () => failure,
    verify(key, done) {
      const type = keyTypeOf(key) ?? "unknown";
      const fp = fingerprint(key);
      const verdicts = files.map((f) => ({ f, v: f.check(lookup, key) }));
      const revoked = verdicts.find((x) => x.v.kind === "revoked");
      if (revoked && revoked.v.kind === "revoked") {
        failure = new HostKeyRevokedError(name, lookup, type, fp, revoked.f.path, revoked.v.entry.line);
        return done(false);
      }
      if (verdicts.some((x) => x.v.kind === "ok")) return done(true);
      const changed = verdicts.find((x) => x.v.kind === "mismatch");
      if (changed && changed.v.kind === "mismatch") {
        failure = new HostKeyMismatchError(name, lookup, type, fp, changed.f.path, changed.v.entry.line);
        return done(false);
      }
      const where = files.map((f) => f.path).join(", ");
      if (!acceptNew || !first) {
        failure = new HostKeyUnknownError(name, lookup, type, fp, first?.path ?? where);
        return done(false);
      }
      first.append(lookup, key).then(
        () => done(true),
        (err: NodeJS.ErrnoException) => {
          failure = new KnownHostsWriteError(name, first.path, err.code ?? err.message);
          done(false);
        },
      );
    },
  };
}
