/**
 * Validation through the CLI, in an empty network namespace with a listener on port 22 of every inventory
 * host: an invalid inventory exits 3 having contacted nothing, in text (the first YAML error with its source
 * line and caret; every other problem at once) and with -o json (its problems as the error document);
 * warnings go to stderr and into the document, and never change the exit code.
 */
import { describe, expect, it } from "vitest";
import { cliWorkdir, meshctl, SLOW, STACK_FRAME } from "../support/cli.js";

const HOSTS = ["198.18.0.11", "198.18.0.12", "198.18.0.13"];
const { file, ssh } = cliWorkdir("meshctl-cli-validation-");

const inventory = (overlay: string) => `mesh:
  overlay: ${overlay}
  ${ssh}
clusters:
  - name: c1
    pod_cidr: 198.18.16.0/20
    service_cidr: 198.19.16.0/20
    control: a1
    nodes:
      - { name: a1, host: ${HOSTS[0]}, pod_blocks: [198.18.16.0/26] }
      - { name: a2, host: ${HOSTS[1]}, pod_blocks: [198.18.16.64/26] }
  - name: c2
    pod_cidr: 198.18.32.0/20
    service_cidr: 198.19.32.0/20
    nodes:
      - { name: b1, host: ${HOSTS[2]}, pod_blocks: [198.18.32.0/26] }
`;
const PUBLIC = "179.17.1.0/24";
const PRIVATE = "198.18.1.0/24";
const tab = file("tab.yaml", inventory(PRIVATE).replace("  ssh:", "\tssh:"));
// A misspelt key, a mistyped control beside a bad MAC in the same cluster, and a public overlay.
const several = file(
  "several.yaml",
  inventory(PUBLIC)
    .replace("service_cidr: 198.19.16.0/20", "service_cidr: 198.19.16.0/20\n    contorl: a1")
    .replace("control: a1", "control: a3")
    .replace("{ name: a1,", "{ name: a1, mac: 02:00:00:00:00:zz,"),
);
const publicOverlay = file("public.yaml", inventory(PUBLIC));
const privateOverlay = file("private.yaml", inventory(PRIVATE));
const WARNING = `warning: ${publicOverlay}:2:12 mesh.overlay: overlay ${PUBLIC} is not in a private range`;

describe("an invalid inventory: exit 3, nothing contacted", SLOW, () => {
  it("a tab: one YAML problem with its line and a caret, not a cascade", () => {
    const r = meshctl(["ping", "-i", tab], { listen: HOSTS });
    expect(r.code).toBe(3);
    expect(r.connections).toEqual([]);
    expect(r.stderr).toBe(
      [
        `error: inventory ${tab} has 1 problem:`,
        `  ${tab}:3:1: YAML: Tabs are not allowed as indentation (indent with spaces)`,
        `      2 |   overlay: ${PRIVATE}`,
        `      3 | →${ssh}`,
        "        | ^",
        "",
      ].join("\n"),
    );
  });

  it("every problem at once, and the warning beside them (text)", () => {
    const r = meshctl(["diff", "-i", several], { listen: HOSTS });
    expect(r.code).toBe(3);
    expect(r.connections).toEqual([]);
    expect(r.stderr).toBe(
      [
        `warning: ${several}:2:12 mesh.overlay: overlay ${PUBLIC} is not in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 198.18.0.0/15): its addresses belong to someone on the internet, whom the mesh nodes can then no longer reach`,
        `error: inventory ${several} has 3 problems:`,
        `  ${several}:8:5 clusters[0].contorl: unknown key "contorl" — did you mean "control"?`,
        `  ${several}:9:14 clusters[0].control: control node a3 is not a node of cluster c1 — did you mean "a1"?`,
        `  ${several}:11:26 clusters[0].nodes[0].mac: "02:00:00:00:00:zz" is not a MAC address (expected xx:xx:xx:xx:xx:xx)`,
        "",
      ].join("\n"),
    );
  });

  it("-o json: the problems and the warnings in the error document on stdout", () => {
    const r = meshctl(["apply", "-i", several, "-o", "json"], { listen: HOSTS });
    expect(r.code).toBe(3);
    expect(r.connections).toEqual([]);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      schemaVersion: 1,
      command: "apply",
      exitCode: 3,
      error: { kind: "invalid-input" },
    });
    expect(doc.error.problems.map((p: { line: number; path: string }) => `${p.line} ${p.path}`)).toEqual([
      "8 clusters[0].contorl",
      "9 clusters[0].control",
      "11 clusters[0].nodes[0].mac",
    ]);
    expect(doc.warnings).toEqual([
      expect.objectContaining({ file: several, line: 2, col: 12, path: "mesh.overlay" }),
    ]);
    expect(r.stderr).toMatch(
      /^warning: .*mesh\.overlay: overlay 179\.17\.1\.0\/24 is not in a private range/,
    );
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it("-o json: the YAML problem carries its snippet", () => {
    const r = meshctl(["plan", "-i", tab, "-o", "json"], { listen: HOSTS });
    expect(r.code).toBe(3);
    const [problem] = JSON.parse(r.stdout).error.problems;
    expect(problem).toMatchObject({ line: 3, col: 1, message: expect.stringMatching(/^YAML: Tabs/) });
    expect(problem.snippet).toMatch(/\n {2}\| \^$/);
  });
});

describe("warnings never change the exit code", SLOW, () => {
  it("plan: exit 0, the warning on stderr and in the document, the plan alone on stdout", () => {
    const text = meshctl(["plan", "-i", publicOverlay]);
    expect(text.code).toBe(0);
    expect(text.stderr.startsWith(WARNING)).toBe(true);
    expect(text.stdout).not.toContain("warning");
    const json = meshctl(["plan", "-i", publicOverlay, "-o", "yaml"]);
    expect(json.code).toBe(0);
    expect(json.stdout).toMatch(/^schemaVersion: 1\ncommand: plan\nexitCode: 0\nwarnings:\n {2}- file: /);
    const quiet = meshctl(["plan", "-i", privateOverlay, "-o", "json"]);
    expect(quiet.stderr).toBe("");
    expect(JSON.parse(quiet.stdout)).not.toHaveProperty("warnings");
  });

  it("ping of unreachable nodes: the same exit code with and without the warning", () => {
    const warned = meshctl(["ping", "-i", publicOverlay, "-o", "json"], { listen: HOSTS });
    const plain = meshctl(["ping", "-i", privateOverlay, "-o", "json"], { listen: HOSTS });
    expect(plain.code).not.toBe(0); // the listeners are no SSH servers
    expect(warned.code).toBe(plain.code);
    expect([...new Set(warned.connections)].sort()).toEqual(HOSTS); // contacted, as without the warning
    const doc = JSON.parse(warned.stdout);
    expect(doc.exitCode).toBe(plain.code);
    expect(doc.warnings).toHaveLength(1);
    expect(JSON.parse(plain.stdout)).not.toHaveProperty("warnings");
  });
});
