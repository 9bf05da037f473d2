/**
 * The lab kube-apiserver driven by the real kubectl binary. Every test starts its own server on
 * 198.18.253.1 (a lab-range address the test adds to lo) with an ephemeral port and a fresh temp dir (state file, kubeconfig, kubectl cache, HOME),
 * and removes both afterwards. kubectl never sees any other address.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeKubeconfig } from "../../src/lab/kubeapi/kubeconfig.js";
import { type KubeApi, type KubeApiOptions, startKubeApi } from "../../src/lab/kubeapi/server.js";
import { TEST_IP, useTestAddress } from "../support/test-address.js";

useTestAddress();

const FIXTURES = join(import.meta.dirname, "../fixtures/kubeapi");
const CALICO = "crd.projectcalico.org/v1";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown>;
}

class Lab {
  api: KubeApi | undefined;
  /** One line per request the server answered (method, path with query, status). */
  readonly requests: string[] = [];
  constructor(readonly dir: string) {}

  get statePath(): string {
    return join(this.dir, "state.json");
  }

  async start(opts: Partial<KubeApiOptions> = {}): Promise<void> {
    this.api = await startKubeApi({
      host: TEST_IP,
      port: 0,
      statePath: this.statePath,
      log: (line) => this.requests.push(line),
      ...opts,
    });
    await writeKubeconfig(join(this.dir, "kubeconfig"), this.api.url, "lab");
  }

  async stop(): Promise<void> {
    await this.api?.close();
    this.api = undefined;
  }

  kubectl(args: string[], stdin?: string): Promise<Run> {
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.dir,
      KUBECONFIG: join(this.dir, "kubeconfig"),
      KUBECACHEDIR: join(this.dir, "cache"),
      TMPDIR: this.dir,
    };
    const full = ["--cache-dir", join(this.dir, "cache"), "--request-timeout=10s", ...args];
    return new Promise((resolve) => {
      const child = execFile("kubectl", full, { env, timeout: 20_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      child.stdin?.end(stdin ?? "");
    });
  }

  /** kubectl that must succeed; returns stdout. */
  async ok(args: string[], stdin?: string): Promise<string> {
    const r = await this.kubectl(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  async stored(kind?: string): Promise<StoredObject[]> {
    const doc = JSON.parse(await readFile(this.statePath, "utf8")) as { items: StoredObject[] };
    return doc.items.filter((o) => kind === undefined || o.kind === kind);
  }

  async storedOne(kind: string, name: string): Promise<StoredObject | undefined> {
    return (await this.stored(kind)).find((o) => o.metadata.name === name);
  }
}

function ippool(
  name: string,
  cidr: string,
  labels: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    apiVersion: CALICO,
    kind: "IPPool",
    metadata: { name, labels },
    spec: { cidr, natOutgoing: false, disabled: true, ...extra },
  });
}

const MANAGED = { "app.kubernetes.io/managed-by": "meshctl" };

describe("lab kube-apiserver with real kubectl", { timeout: 60_000 }, () => {
  let lab: Lab;

  beforeEach(async () => {
    lab = new Lab(await mkdtemp(join(tmpdir(), "kubeapi-test-")));
    await copyFile(join(FIXTURES, "seed.json"), lab.statePath);
  });

  afterEach(async () => {
    await lab.stop();
    await rm(lab.dir, { recursive: true, force: true });
  });

  describe("reads", () => {
    beforeEach(() => lab.start());

    it("lists seeded nodes with their pod CIDRs and server-filled metadata", async () => {
      const list = JSON.parse(await lab.ok(["get", "nodes", "-o", "json"])) as { items: StoredObject[] };
      expect(list.items.map((n) => [n.metadata.name, n.spec.podCIDRs])).toEqual([
        ["east-cp-1", ["10.244.0.0/24", "fd00:10:244::/64"]],
        ["east-worker-1", ["10.244.1.0/24"]],
      ]);
      for (const n of list.items) {
        expect(n.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
        expect(n.metadata.resourceVersion).toMatch(/^[1-9][0-9]*$/);
        expect(n.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      }
      const table = await lab.ok(["get", "nodes"]);
      expect(table).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
      expect(table).toMatch(/east-cp-1\s+Ready\s+control-plane\s+\S+\s+v1\.32\.1/);
      expect(table).toMatch(/east-worker-1\s+NotReady\s+<none>/);
    });

    it("lists block affinities as JSON", async () => {
      const list = JSON.parse(await lab.ok(["get", "blockaffinities", "-o", "json"])) as {
        items: StoredObject[];
      };
      expect(list.items.map((b) => b.spec)).toEqual([
        { node: "east-cp-1", cidr: "10.244.0.0/26", state: "confirmed", deleted: "false" },
        { node: "east-worker-1", cidr: "10.244.1.0/26", state: "confirmed", deleted: "false" },
      ]);
      expect(list.items[0]?.kind).toBe("BlockAffinity");
    });

    it("prints a table, JSON and YAML for ippools and one ippool by name", async () => {
      await lab.ok(["create", "-f", "-"], ippool("pool-a", "10.20.0.0/16", MANAGED));
      const table = await lab.ok(["get", "ippools"]);
      expect(table).toMatch(/^NAME\s+AGE\npool-a\s+\d+s\n$/);
      const list = JSON.parse(await lab.ok(["get", "ippools.crd.projectcalico.org", "-o", "json"])) as {
        items: StoredObject[];
      };
      expect(list.items.map((p) => p.spec.cidr)).toEqual(["10.20.0.0/16"]);
      const yaml = await lab.ok(["get", "ippools.crd.projectcalico.org", "-o", "yaml"]);
      expect(yaml).toContain("cidr: 10.20.0.0/16");
      expect(yaml).toContain("app.kubernetes.io/managed-by: meshctl");
      const one = JSON.parse(await lab.ok(["get", "ippool", "pool-a", "-o", "json"])) as StoredObject;
      expect(one).toMatchObject({
        apiVersion: CALICO,
        kind: "IPPool",
        metadata: { name: "pool-a", generation: 1 },
      });
      expect(await lab.ok(["get", "ippools", "--show-labels"])).toContain(
        "app.kubernetes.io/managed-by=meshctl",
      );
    });

    it("filters with label selectors: equality, existence, negation and sets", async () => {
      await lab.ok(["apply", "-f", "-"], await readFile(join(FIXTURES, "ippool-list.yaml"), "utf8"));
      await lab.ok(
        ["create", "-f", "-"],
        ippool("other", "10.40.0.0/16", { "meshctl.io/for-cluster": "south" }),
      );
      const names = async (selector: string): Promise<string> =>
        (await lab.ok(["get", "ippools", "-l", selector, "-o", "name"])).trim();
      expect(await names("app.kubernetes.io/managed-by=meshctl")).toBe(
        "ippool.crd.projectcalico.org/meshctl-north-pods",
      );
      expect((await names("meshctl.io/for-cluster")).split("\n")).toEqual([
        "ippool.crd.projectcalico.org/meshctl-north-pods",
        "ippool.crd.projectcalico.org/other",
      ]);
      expect(await names("!meshctl.io/for-cluster")).toBe("ippool.crd.projectcalico.org/default-ipv4-ippool");
      expect(await names("meshctl.io/for-cluster in (south,east)")).toBe(
        "ippool.crd.projectcalico.org/other",
      );
      expect(await names("meshctl.io/for-cluster!=north")).toContain("default-ipv4-ippool");
      const none = await lab.kubectl(["get", "ippools", "-l", "meshctl.io/for-cluster=nowhere"]);
      expect(none.stderr).toContain("No resources found");
    });

    it("answers NotFound for a missing object and kubectl rejects an unknown resource type", async () => {
      const missing = await lab.kubectl(["get", "ippool", "nope", "-o", "json"]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain(
        'Error from server (NotFound): ippools.crd.projectcalico.org "nope" not found',
      );
      const unknown = await lab.kubectl(["get", "foo"]);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('the server doesn\'t have a resource type "foo"');
    });

    it("serves the Calico CRDs themselves", async () => {
      const crd = JSON.parse(await lab.ok(["get", "crd", "ippools.crd.projectcalico.org", "-o", "json"])) as {
        spec: { group: string; scope: string; names: { kind: string } };
      };
      expect(crd.spec).toMatchObject({
        group: "crd.projectcalico.org",
        scope: "Cluster",
        names: { kind: "IPPool" },
      });
      expect(await lab.ok(["get", "crds", "-o", "name"])).toContain("blockaffinities.crd.projectcalico.org");
    });
  });

  describe("client-side apply", () => {
    beforeEach(() => lab.start());

    it("creates with POST, updates with a JSON merge patch, and reports unchanged", async () => {
      expect(await lab.ok(["apply", "-f", "-"], ippool("pool-a", "10.20.0.0/16", MANAGED))).toBe(
        "ippool.crd.projectcalico.org/pool-a created\n",
      );
      const created = await lab.storedOne("IPPool", "pool-a");
      const lastApplied = created?.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"];
      expect(JSON.parse(lastApplied ?? "{}")).toMatchObject({
        metadata: { name: "pool-a" },
        spec: { cidr: "10.20.0.0/16" },
      });
      expect(created?.metadata.generation).toBe(1);

      const changed = ippool("pool-a", "10.22.0.0/16", { "meshctl.io/for-cluster": "west" });
      expect(await lab.ok(["apply", "-f", "-"], changed)).toBe(
        "ippool.crd.projectcalico.org/pool-a configured\n",
      );
      const updated = await lab.storedOne("IPPool", "pool-a");
      expect(updated?.spec.cidr).toBe("10.22.0.0/16");
      // kubectl's three-way merge removed the label that is no longer in the manifest.
      expect(updated?.metadata.labels).toEqual({ "meshctl.io/for-cluster": "west" });
      expect(updated?.metadata.uid).toBe(created?.metadata.uid);
      expect(updated?.metadata.generation).toBe(2);
      expect(Number(updated?.metadata.resourceVersion)).toBeGreaterThan(
        Number(created?.metadata.resourceVersion),
      );

      expect(await lab.ok(["apply", "-f", "-"], changed)).toBe(
        "ippool.crd.projectcalico.org/pool-a unchanged\n",
      );
      expect((await lab.storedOne("IPPool", "pool-a"))?.metadata.resourceVersion).toBe(
        updated?.metadata.resourceVersion,
      );
    });

    it("applies multi-document manifests and v1 Lists", async () => {
      const docs = await lab.ok(["apply", "-f", "-"], await readFile(join(FIXTURES, "ippools.yaml"), "utf8"));
      expect(docs).toContain("meshctl-west-pods created");
      expect(docs).toContain("meshctl-west-services created");
      const list = await lab.ok(
        ["apply", "-f", "-"],
        await readFile(join(FIXTURES, "ippool-list.yaml"), "utf8"),
      );
      expect(list).toContain("meshctl-north-pods created");
      expect((await lab.stored("IPPool")).map((p) => p.metadata.name).sort()).toEqual([
        "default-ipv4-ippool",
        "meshctl-north-pods",
        "meshctl-west-pods",
        "meshctl-west-services",
      ]);
    });

    it("does not store anything on a server-side dry run", async () => {
      const out = await lab.ok(["apply", "--dry-run=server", "-f", "-"], ippool("pool-a", "10.20.0.0/16"));
      expect(out).toContain("created (server dry run)");
      expect(await lab.stored("IPPool")).toEqual([]);
    });

    it("applies a node change as a strategic merge patch without directives", async () => {
      const node = {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: "east-worker-1", labels: { "meshctl.io/test": "yes" } },
        spec: { podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24", "fd00:10:244:1::/64"] },
      };
      await lab.ok(["apply", "-f", "-"], JSON.stringify(node));
      const stored = await lab.storedOne("Node", "east-worker-1");
      expect(stored?.spec.podCIDRs).toEqual(["10.244.1.0/24", "fd00:10:244:1::/64"]);
      expect(stored?.metadata.labels).toEqual({ "meshctl.io/test": "yes" });
    });
  });

  describe("server-side apply", () => {
    beforeEach(() => lab.start());

    const ssa = ["apply", "--server-side", "--field-manager=meshctl", "-f", "-"];

    it("creates when absent and merges into the stored object otherwise", async () => {
      expect(await lab.ok(ssa, ippool("pool-a", "10.20.0.0/16", MANAGED))).toBe(
        "ippool.crd.projectcalico.org/pool-a serverside-applied\n",
      );
      const created = await lab.storedOne("IPPool", "pool-a");
      expect(created?.spec).toEqual({ cidr: "10.20.0.0/16", natOutgoing: false, disabled: true });
      expect(created?.metadata.annotations).toBeUndefined();

      await lab.ok(["patch", "ippool", "pool-a", "--type", "merge", "-p", '{"spec":{"blockSize":26}}']);
      await lab.ok(
        [...ssa.slice(0, -2), "--force-conflicts", "-f", "-"],
        ippool("pool-a", "10.21.0.0/16", MANAGED),
      );
      const merged = await lab.storedOne("IPPool", "pool-a");
      // The applied fields win; a field set by someone else is kept.
      expect(merged?.spec).toEqual({
        cidr: "10.21.0.0/16",
        natOutgoing: false,
        disabled: true,
        blockSize: 26,
      });
      expect(merged?.metadata.uid).toBe(created?.metadata.uid);
      expect(merged?.metadata.generation).toBe(3);
    });

    it("keeps a field the manager no longer applies (documented simplification)", async () => {
      await lab.ok(ssa, ippool("pool-a", "10.20.0.0/16", { ...MANAGED, extra: "x" }));
      await lab.ok(ssa, ippool("pool-a", "10.20.0.0/16", MANAGED));
      expect((await lab.storedOne("IPPool", "pool-a"))?.metadata.labels).toEqual({ ...MANAGED, extra: "x" });
    });
  });

  describe("diff (server-side dry runs)", () => {
    beforeEach(() => lab.start());

    it("shows pending changes without storing them, for client- and server-side apply", async () => {
      await lab.ok(["apply", "-f", "-"], ippool("pool-a", "10.20.0.0/16"));
      const before = await lab.storedOne("IPPool", "pool-a");
      for (const mode of [[], ["--server-side", "--field-manager=meshctl"]]) {
        const changed = await lab.kubectl(["diff", ...mode, "-f", "-"], ippool("pool-a", "10.29.0.0/16"));
        expect(changed.code, mode.join(" ")).toBe(1);
        expect(changed.stdout).toContain("-  cidr: 10.20.0.0/16\n+  cidr: 10.29.0.0/16");
      }
      expect(await lab.kubectl(["diff", "-f", "-"], ippool("pool-a", "10.20.0.0/16"))).toMatchObject({
        code: 0,
        stdout: "",
      });
      expect(await lab.storedOne("IPPool", "pool-a")).toEqual(before);
    });
  });

  describe("create, patch, replace and delete", () => {
    beforeEach(() => lab.start());

    it("creates, and refuses a second create with AlreadyExists", async () => {
      expect(await lab.ok(["create", "-f", "-"], ippool("pool-a", "10.20.0.0/16"))).toBe(
        "ippool.crd.projectcalico.org/pool-a created\n",
      );
      const again = await lab.kubectl(["create", "-f", "-"], ippool("pool-a", "10.20.0.0/16"));
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain(
        'Error from server (AlreadyExists): error when creating "STDIN": ippools.crd.projectcalico.org "pool-a" already exists',
      );
    });

    it("creates with generateName", async () => {
      const body = JSON.stringify({
        apiVersion: CALICO,
        kind: "IPPool",
        metadata: { generateName: "gen-" },
        spec: { cidr: "10.9.0.0/16" },
      });
      expect(await lab.ok(["create", "-f", "-"], body)).toMatch(
        /^ippool\.crd\.projectcalico\.org\/gen-[0-9a-f]{5} created\n$/,
      );
    });

    it("rejects an invalid name with 422 Invalid", async () => {
      const r = await lab.kubectl(["create", "-f", "-"], ippool("Bad_Name", "10.20.0.0/16"));
      expect(r.code).not.toBe(0);
      // kubectl rewords a 422 from its details: "The <kind> <name> is invalid: <causes>".
      expect(r.stderr).toContain(
        'The IPPool "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"',
      );
    });

    it("patches with merge and JSON patches; refuses strategic merge patch on a custom resource", async () => {
      await lab.ok(["create", "-f", "-"], ippool("pool-a", "10.20.0.0/16", MANAGED));
      expect(
        await lab.ok(["patch", "ippool", "pool-a", "--type", "merge", "-p", '{"spec":{"disabled":false}}']),
      ).toBe("ippool.crd.projectcalico.org/pool-a patched\n");
      expect(
        await lab.ok(["patch", "ippool", "pool-a", "--type", "merge", "-p", '{"spec":{"disabled":false}}']),
      ).toBe("ippool.crd.projectcalico.org/pool-a patched (no change)\n");
      await lab.ok([
        "patch",
        "ippool",
        "pool-a",
        "--type",
        "json",
        "-p",
        '[{"op":"replace","path":"/spec/cidr","value":"10.23.0.0/16"}]',
      ]);
      const stored = await lab.storedOne("IPPool", "pool-a");
      expect(stored?.spec).toEqual({ cidr: "10.23.0.0/16", natOutgoing: false, disabled: false });
      expect(stored?.metadata.generation).toBe(3);
      const smp = await lab.kubectl(["patch", "ippool", "pool-a", "-p", '{"spec":{"disabled":true}}']);
      expect(smp.code).not.toBe(0);
      expect(smp.stderr).toContain("application/strategic-merge-patch+json is not supported");
    });

    it("replaces with PUT and rejects a stale resourceVersion with 409 Conflict", async () => {
      await lab.ok(["create", "-f", "-"], ippool("pool-a", "10.20.0.0/16"));
      const live = JSON.parse(await lab.ok(["get", "ippool", "pool-a", "-o", "json"])) as StoredObject;
      live.spec.cidr = "10.24.0.0/16";
      expect(await lab.ok(["replace", "-f", "-"], JSON.stringify(live))).toBe(
        "ippool.crd.projectcalico.org/pool-a replaced\n",
      );
      const stale = await lab.kubectl(["replace", "-f", "-"], JSON.stringify(live));
      expect(stale.code).not.toBe(0);
      expect(stale.stderr).toContain("Error from server (Conflict)");
      expect((await lab.storedOne("IPPool", "pool-a"))?.spec.cidr).toBe("10.24.0.0/16");
    });

    it("deletes by name, by label selector, and tolerates missing objects with --ignore-not-found", async () => {
      await lab.ok(["apply", "-f", "-"], await readFile(join(FIXTURES, "ippools.yaml"), "utf8"));
      await lab.ok(["create", "-f", "-"], ippool("keep", "10.50.0.0/16"));
      await lab.ok(["create", "-f", "-"], ippool("single", "10.51.0.0/16"));

      expect(await lab.ok(["delete", "ippool", "single"])).toBe(
        'ippool.crd.projectcalico.org "single" deleted\n',
      );
      const missing = await lab.kubectl(["delete", "ippool", "single"]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('ippools.crd.projectcalico.org "single" not found');
      const ignored = await lab.kubectl(["delete", "ippool", "single", "--ignore-not-found"]);
      expect(ignored).toMatchObject({ code: 0, stdout: "" });

      const bySelector = await lab.ok(["delete", "ippools", "-l", "app.kubernetes.io/managed-by=meshctl"]);
      expect(bySelector).toContain('"meshctl-west-pods" deleted');
      expect(bySelector).toContain('"meshctl-west-services" deleted');
      expect((await lab.stored("IPPool")).map((p) => p.metadata.name)).toEqual(["keep"]);
      const nothing = await lab.kubectl([
        "delete",
        "ippools",
        "-l",
        "app.kubernetes.io/managed-by=meshctl",
        "--ignore-not-found",
      ]);
      expect(nothing).toMatchObject({ code: 0, stdout: "No resources found\n" });
    });

    it("lets kubectl wait for a deletion through a watch", async () => {
      await lab.ok(["create", "-f", "-"], ippool("pool-a", "10.20.0.0/16"));
      const waiting = lab.kubectl(["wait", "--for=delete", "ippool/pool-a", "--timeout=15s"]);
      // Delete only once kubectl's watch is subscribed (the server logs a watch when it is in place).
      const watching = () =>
        lab.requests.some((l) => /^GET \/apis\/crd\.projectcalico\.org\/v1\/ippools\?.*watch=true/.test(l));
      const deadline = Date.now() + 15_000;
      while (!watching() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(watching(), lab.requests.join("\n")).toBe(true);
      await lab.ok(["delete", "ippool", "pool-a", "--wait=false"]);
      expect(await waiting).toMatchObject({
        code: 0,
        stdout: "ippool.crd.projectcalico.org/pool-a condition met\n",
      });
    });
  });

  describe("persistence", () => {
    it("fills in server metadata for seeded objects and keeps state across a restart", async () => {
      await lab.start();
      await lab.ok(["create", "-f", "-"], ippool("pool-a", "10.20.0.0/16", MANAGED));
      const before = await lab.stored();
      expect(before.every((o) => typeof o.metadata.uid === "string" && o.metadata.generation === 1)).toBe(
        true,
      );
      await lab.stop();

      await lab.start();
      expect(await lab.stored()).toEqual(before);
      const pool = JSON.parse(await lab.ok(["get", "ippool", "pool-a", "-o", "json"])) as StoredObject;
      expect(pool.metadata).toMatchObject(before.find((o) => o.metadata.name === "pool-a")?.metadata ?? {});
      await lab.ok(["patch", "ippool", "pool-a", "--type", "merge", "-p", '{"spec":{"disabled":false}}']);
      const rvs = (await lab.stored()).map((o) => Number(o.metadata.resourceVersion));
      expect(new Set(rvs).size).toBe(rvs.length);
      expect(await readdir(lab.dir)).not.toContainEqual(expect.stringContaining(".tmp-"));
    });

    it("creates an empty state file when none exists", async () => {
      await rm(lab.statePath);
      await lab.start();
      expect(JSON.parse(await readFile(lab.statePath, "utf8"))).toEqual({ items: [] });
      const r = await lab.kubectl(["get", "nodes"]);
      expect(r).toMatchObject({ code: 0, stdout: "" });
      expect(r.stderr).toContain("No resources found");
    });

    it("refuses to start on an invalid state file", async () => {
      await writeFile(
        lab.statePath,
        JSON.stringify({ items: [{ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } }] }),
      );
      await expect(lab.start()).rejects.toThrow("unsupported type v1 Pod");
    });
  });

  describe("fault injection", () => {
    it("answers 403 Forbidden for denied verbs and stores nothing", async () => {
      await lab.start({ deny: ["patch:ippools", "create:ippools.crd.projectcalico.org", "list:nodes"] });
      const apply = await lab.kubectl(
        ["apply", "--server-side", "--field-manager=meshctl", "-f", "-"],
        ippool("pool-a", "10.20.0.0/16"),
      );
      expect(apply.code).not.toBe(0);
      expect(apply.stderr).toContain(
        'ippools.crd.projectcalico.org "pool-a" is forbidden: User "system:anonymous" cannot patch resource "ippools" in API group "crd.projectcalico.org" at the cluster scope',
      );
      const create = await lab.kubectl(["create", "-f", "-"], ippool("pool-a", "10.20.0.0/16"));
      expect(create.stderr).toContain("Error from server (Forbidden)");
      expect(create.stderr).toContain("cannot create resource");
      const nodes = await lab.kubectl(["get", "nodes"]);
      expect(nodes.stderr).toContain(
        'nodes is forbidden: User "system:anonymous" cannot list resource "nodes" in API group ""',
      );
      expect(await lab.ok(["get", "node", "east-cp-1", "-o", "name"])).toBe("node/east-cp-1\n");
      expect(await lab.stored("IPPool")).toEqual([]);
    });

    it("denies server-side apply of an absent object when only create is denied", async () => {
      await lab.start({ deny: ["create:ippools"] });
      const apply = await lab.kubectl(
        ["apply", "--server-side", "--field-manager=meshctl", "-f", "-"],
        ippool("pool-a", "10.20.0.0/16"),
      );
      expect(apply.stderr).toContain("cannot create resource");
      expect(await lab.stored("IPPool")).toEqual([]);
    });

    it("looks like a cluster without Calico with calico: false", async () => {
      await lab.start({ calico: false });
      const get = await lab.kubectl(["get", "ippools"]);
      expect(get.code).not.toBe(0);
      expect(get.stderr).toContain('the server doesn\'t have a resource type "ippools"');
      const apply = await lab.kubectl(
        ["apply", "--server-side", "--field-manager=meshctl", "-f", "-"],
        ippool("pool-a", "10.20.0.0/16"),
      );
      expect(apply.code).not.toBe(0);
      expect(apply.stderr).toContain('no matches for kind "IPPool" in version "crd.projectcalico.org/v1"');
      expect(await lab.ok(["get", "nodes", "-o", "name"])).toBe("node/east-cp-1\nnode/east-worker-1\n");
    });
  });
});
