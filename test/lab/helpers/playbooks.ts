/** Playbooks the lab tests write: the built-in node steps (or teardown) plus a site step of the test's. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const MESH_STEPS = `  - { name: vxlan device, hosts: nodes, builtin: vxlan-device }
  - { name: stale entries, hosts: nodes, builtin: stale-entries }
  - { name: fdb, hosts: nodes, builtin: fdb }
  - { name: neighbours and routes, hosts: nodes, builtin: neighbours-routes }`;
const TEARDOWN_STEPS =
  "  - { name: routes and vxlan device, hosts: nodes, builtin: teardown, state: absent }";

/**
 * Writes `<dir>/<name>.yaml`: the mesh's node steps (no cluster step), or teardown's with `teardown`, then
 * `site` (YAML lines of more steps). Returns its path.
 */
export function writePlaybook(dir: string, name: string, site = "", teardown = false): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `name: ${name}\nsteps:\n${teardown ? TEARDOWN_STEPS : MESH_STEPS}\n${site}\n`);
  return path;
}

/**
 * A site step that drops new TCP connections to the node's SSH port on `node` only (undo: the rule's
 * removal), the way a careless firewall change cuts an operator off. `rule` is its iptables rule spec.
 */
export function cutSshStep(node: string, sshPort: number): { rule: string; step: string } {
  const rule = `INPUT -p tcp --dport ${sshPort} -j DROP`;
  const only = `[ "$MESHCTL_NODE" != ${node} ] ||`;
  const step = `  - name: cut ssh
    hosts: nodes
    timeout: 10
    shell: { check: "false", apply: '${only} iptables -I ${rule}', undo: '${only} iptables -D ${rule}' }`;
  return { rule, step };
}
