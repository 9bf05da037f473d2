/**
 * A playbook's site (shell) steps: the ten MESHCTL_* variables with their exact values (README
 * "Playbooks"), and when apply or undo runs for `state: present` and `state: absent`.
 */
import { describe, expect, it } from "vitest";
import { nodeChanges } from "../../src/exec/targets.js";
import type { ShellCmd } from "../../src/plan/commands.js";
import { siteChange, siteCheck, siteEnv } from "../../src/plan/site.js";
import type { ShellStep } from "../../src/playbook/schema.js";
import { convergedFacts, model, nodeOf } from "../support/builders.js";

// b2 of the builders' inventory, with every value that could be confused with another made distinct.
const INVENTORY = `
mesh:
  device: mshvx7
  vni: 4242
  port: 4900
  overlay: 198.18.128.0/20
  route_protocol: 88
  ssh: { identity_file: /k, known_hosts: /kh }
clusters:
  - name: east
    pod_cidr: 198.18.16.0/20
    service_cidr: 198.19.16.0/20
    nodes:
      - { name: e1, host: 198.18.0.11, pod_blocks: [198.18.16.0/26] }
  - name: west
    pod_cidr: 198.18.32.0/20
    service_cidr: 198.19.32.0/20
    nodes:
      - { name: w1, host: 198.18.0.13, pod_blocks: [198.18.32.0/26] }
      - { name: w2, host: 198.18.2.14, overlay_ip: 198.18.129.5, pod_blocks: [198.18.32.64/26] }
`;
const w2 = nodeOf(model(INVENTORY), "w2");

const step = (state: "present" | "absent"): ShellStep => ({
  name: "open port",
  hosts: "nodes",
  state,
  timeout: 60,
  shell: { check: "CHECK", apply: "APPLY", undo: "UNDO" },
});
const scripts = (cmds: readonly { tool: string }[]) => cmds.map((c) => (c as ShellCmd).script);

describe("siteEnv: what a site script sees of its node", () => {
  it("is exactly the ten documented variables, with the node's values", () => {
    expect(siteEnv(w2)).toEqual({
      MESHCTL_NODE: "w2",
      MESHCTL_CLUSTER: "west",
      MESHCTL_DEVICE: "mshvx7",
      MESHCTL_VNI: "4242",
      MESHCTL_PORT: "4900",
      MESHCTL_LOCAL_IP: "198.18.2.14",
      MESHCTL_OVERLAY_IP: "198.18.129.5",
      MESHCTL_OVERLAY_PREFIX: "20",
      MESHCTL_MAC: "02:6d:c6:12:81:05",
      MESHCTL_ROUTE_PROTOCOL: "88",
    });
  });

  it("reaches the check, apply and undo scripts alike", () => {
    expect(siteCheck(w2, step("present"))).toMatchObject({
      tool: "sh",
      label: "open port: check",
      script: "CHECK",
      env: siteEnv(w2),
    });
    const c = siteChange(w2, step("present"), 1);
    expect(
      [...(c?.forward ?? []), ...(c?.inverse ?? [])].map((x) => (x as ShellCmd).env.MESHCTL_NODE),
    ).toEqual(["w2", "w2"]);
  });
});

describe("siteChange", () => {
  it("present: a failing check runs apply (undone by undo); a passing check runs nothing", () => {
    const c = siteChange(w2, step("present"), 1);
    expect(c).toMatchObject({ resource: "shell", key: "open port", action: "create", phase: "site" });
    expect([c?.before, c?.after]).toEqual([undefined, "applied"]);
    expect(scripts(c?.forward ?? [])).toEqual(["APPLY"]);
    expect(scripts(c?.inverse ?? [])).toEqual(["UNDO"]);
    expect(siteChange(w2, step("present"), 0)).toBeUndefined();
  });

  it("absent (teardown): a passing check runs undo (undone by apply); a failing check runs nothing", () => {
    const c = siteChange(w2, step("absent"), 0);
    expect(c).toMatchObject({ resource: "shell", key: "open port", action: "delete", phase: "site" });
    expect([c?.before, c?.after]).toEqual(["applied", undefined]);
    expect(scripts(c?.forward ?? [])).toEqual(["UNDO"]);
    expect(scripts(c?.inverse ?? [])).toEqual(["APPLY"]);
    expect(siteChange(w2, step("absent"), 1)).toBeUndefined();
  });

  it.each([2, 127])("any non-zero check code (%i) counts as not as wanted", (code) => {
    expect(scripts(siteChange(w2, step("present"), code)?.forward ?? [])).toEqual(["APPLY"]);
    expect(siteChange(w2, step("absent"), code)).toBeUndefined();
  });
});

describe("nodeChanges with site steps (the run's plan of a node)", () => {
  const facts = convergedFacts(w2);
  const shape = (state: "present" | "absent") => ({
    steps: [{ kind: "shell" as const, step: step(state) }],
    pools: "none" as const,
  });

  it("a teardown playbook's absent step runs its undo where its check passes", () => {
    expect(nodeChanges(w2, facts, shape("absent"), [0]).map((c) => scripts(c.forward))).toEqual([["UNDO"]]);
    expect(nodeChanges(w2, facts, shape("absent"), [1])).toEqual([]);
  });

  it("a present step runs apply where its check fails", () => {
    expect(nodeChanges(w2, facts, shape("present"), [1]).map((c) => scripts(c.forward))).toEqual([["APPLY"]]);
    expect(nodeChanges(w2, facts, shape("present"), [0])).toEqual([]);
  });

  it("without check results (the read-back), every site step counts as done", () => {
    expect(nodeChanges(w2, facts, shape("present"))).toEqual([]);
    expect(nodeChanges(w2, facts, shape("absent"))).toEqual([]);
  });
});
