/**
 * The authentication methods offered to a host, in order: its identity files (the inventory's, the
 * config's IdentityFile lines, or OpenSSH's default ~/.ssh/id_* that exist), then the keys in ssh-agent
 * (unless IdentitiesOnly).
 */
import type { AnyAuthMethod } from "ssh2";
import type { KeyStore } from "./keys.js";
import type { ResolvedTarget } from "./resolve.js";

export interface AuthPlan {
  methods: AnyAuthMethod[];
  /** What is offered, for the "refused authentication with …" message. */
  tried: string[];
  /** Why nothing can be offered, when `methods` is empty. */
  problem?: string;
}

export async function authPlan(
  t: ResolvedTarget,
  keys: KeyStore,
  agentSocket: string | undefined,
): Promise<AuthPlan> {
  const methods: AnyAuthMethod[] = [];
  const tried: string[] = [];
  const problems: string[] = [];
  for (const file of t.identityFiles) {
    const k = await keys.load(file);
    if (k.ok) {
      methods.push({ type: "publickey", username: t.user, key: k.key });
      tried.push(`key ${k.path} (${k.fingerprint})`);
    } else if (!(t.defaultIdentities && /does not exist$/.test(k.reason))) {
      problems.push(k.reason);
      tried.push(`no key (${k.reason})`);
    }
  }
  if (agentSocket && t.useAgent) {
    methods.push({ type: "agent", username: t.user, agent: agentSocket });
    tried.push("the keys in ssh-agent");
  }
  if (methods.length) return { methods, tried };
  const none = t.defaultIdentities
    ? `no identity file (none of ~/.ssh/id_rsa, id_ecdsa, id_ed25519… exists; set identity_file or IdentityFile)`
    : "no identity file configured";
  const agent = !t.useAgent
    ? "IdentitiesOnly is set"
    : agentSocket
      ? ""
      : "no ssh-agent (SSH_AUTH_SOCK is not set)";
  return {
    methods,
    tried,
    problem: problems.length ? problems.join("; ") : [none, agent].filter(Boolean).join(" and "),
  };
}
