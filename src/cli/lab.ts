/** `meshctl lab up|down|status`: a namespace lab of real SSH nodes to rehearse a mesh on one Linux box. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_LAB_DIR } from "../lab/host.js";
import type { LabInfo } from "../lab/index.js";

/** The lab's code loads only when a lab verb runs, to keep every other verb's start-up small. */
const loadLab = () => import("../lab/index.js");

import { ExitCode } from "./exit-codes.js";
import { type OutputFormat, outputOption } from "./options.js";
import { printDocument } from "./output.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError("expected a positive integer");
  }
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("expected an integer >= 0");
  return n;
}

const dirOption = () =>
  new Option("--dir <dir>", "lab directory (state, keys, logs)").default(DEFAULT_LAB_DIR);

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  "))
    .join("\n");
}

function nodeRows(info: LabInfo, extra?: (name: string) => string): string[][] {
  const rows = [["NODE", "CLUSTER", "SSH", "POD IP", "OS", ...(extra ? ["SSHD"] : [])]];
  for (const n of info.nodes) {
    rows.push([
      n.control ? `${n.name} (control)` : n.spare ? `${n.name} (spare)` : n.name,
      n.cluster,
      `${n.underlayIp}:22`,
      n.podIp,
      n.os ?? "host",
      ...(extra ? [extra(n.name)] : []),
    ]);
  }
  return rows;
}

const progress = (line: string) => process.stderr.write(`  ${line}\n`);

export function registerLab(program: Command): void {
  const lab = program
    .command("lab")
    .description(
      "a lab of real SSH nodes in network namespaces on this machine, to rehearse a mesh (needs root)",
    );

  lab
    .command("up")
    .description(
      "create the lab: a node namespace with sshd per node, a pod namespace behind each, and an inventory",
    )
    .addOption(new Option("--clusters <C>", "number of clusters").argParser(positiveInt).default(3))
    .addOption(new Option("--nodes <N>", "nodes per cluster").argParser(positiveInt).default(2))
    .option("--out <file>", "inventory to write (default: <dir>/inventory.yaml)")
    .addOption(dirOption())
    .option(
      "--discover",
      "leave pod_blocks out of the inventory (discovered from the Kubernetes APIs)",
      false,
    )
    .option("--no-kube-api", "do not run a fake Kubernetes API server per cluster")
    .addOption(
      new Option("--pods <N>", "Calico-like pods (cali* veths) per node")
        .argParser(nonNegativeInt)
        .default(100),
    )
    .addOption(
      new Option("--services <N>", "Service addresses per cluster, on every node's kube-ipvs0")
        .argParser(nonNegativeInt)
        .default(300),
    )
    .option(
      "--bare",
      "bare nodes: no Calico-like load (pods, services, vxlan.calico, iptables chains)",
      false,
    )
    .option(
      "--os <list>",
      "iproute2 behaviour per cluster, cycling: centos7 (4.11), ubuntu1804 (4.15), debian12 (6.1), host (default)",
    )
    .option("--bastion", "fence the last cluster: reachable only through a bastion node (ProxyJump)", false)
    .addOption(
      new Option(
        "--subnets <N>",
        "underlay subnets: 1, or 2 (even clusters on 198.18.2.0/24, joined to 198.18.0.0/24 by a router namespace)",
      )
        .argParser(positiveInt)
        .default(1),
    )
    .addOption(
      new Option(
        "--spare <N>",
        "N more nodes, dealt round the clusters, built but not registered in their cluster's API (see lab join)",
      )
        .argParser(nonNegativeInt)
        .default(0),
    )
    .action(
      async (o: {
        clusters: number;
        nodes: number;
        out?: string;
        dir: string;
        discover: boolean;
        kubeApi: boolean;
        os?: string;
        bastion: boolean;
        subnets: number;
        spare: number;
        pods: number;
        services: number;
        bare: boolean;
      }) => {
        const lab = await loadLab();
        const info = await lab.labUp({
          ...(o.os ? { os: lab.parseOsList(o.os) } : {}),
          busy: o.bare ? false : { pods: o.pods, services: o.services },
          dir: o.dir,
          clusters: o.clusters,
          nodesPerCluster: o.nodes,
          discover: o.discover,
          kubeApi: o.kubeApi,
          bastion: o.bastion,
          subnets: o.subnets,
          spares: o.spare,
          log: progress,
          ...(o.out ? { out: o.out } : {}),
        });
        const out = [
          table(nodeRows(info)),
          "",
          `inventory:    ${info.inventory}`,
          `ssh key:      ${info.identityFile} (root, or ${info.sudoUser} with passwordless sudo)`,
          `known_hosts:  ${info.knownHosts}`,
        ];
        if (info.bastion) {
          out.push(
            `bastion:      ${info.bastion.node} (${info.bastion.ip}); ${info.bastion.cluster} is reachable only through it: add -F ${info.bastion.sshConfig}`,
          );
        }
        for (const c of info.clusters) {
          if (c.kubeconfig)
            out.push(`kubeconfig:   ${c.kubeconfig} (${c.name}; API inside ${c.controlNamespace})`);
        }
        const first = info.nodes[0];
        out.push(
          "",
          `try:   meshctl plan -i ${info.inventory}`,
          ...(first
            ? [
                `       ssh -i ${info.identityFile} -o UserKnownHostsFile=${info.knownHosts} root@${first.underlayIp}`,
                `       ip netns exec ${first.podNamespace} ping ${first.podGateway}`,
              ]
            : []),
          `down:  meshctl lab down${info.dir === DEFAULT_LAB_DIR ? "" : ` --dir ${info.dir}`}`,
        );
        process.stdout.write(`${out.join("\n")}\n`);
      },
    );

  lab
    .command("down")
    .description("remove everything the lab made (safe to run again)")
    .addOption(dirOption())
    .option("-v, --verbose", "list every removed item", false)
    .action(async (o: { dir: string; verbose: boolean }) => {
      const { removed } = await (await loadLab()).labDown({
        dir: o.dir,
        ...(o.verbose ? { log: progress } : {}),
      });
      if (removed.length === 0) {
        process.stdout.write(`nothing to remove (no lab in ${o.dir})\n`);
        return;
      }
      const counts = new Map<string, number>();
      for (const r of removed) {
        const kind = r.split(" ")[0] ?? r;
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
      }
      const plural = (k: string) =>
        k.endsWith("s") ? `${k}es` : k.endsWith("y") ? `${k.slice(0, -1)}ies` : `${k}s`;
      const summary = [...counts].map(([k, n]) => `${n} ${n === 1 ? k : plural(k)}`);
      process.stdout.write(`lab in ${o.dir} is down: removed ${summary.join(", ")}\n`);
    });

  lab
    .command("reboot")
    .description(
      "simulate a reboot of NODE: remove the runtime state meshctl made there (its device, /run/meshctl), then run meshctl's enabled boot units in the node as systemd would",
    )
    .argument("<node>", "the lab node to reboot")
    .addOption(dirOption())
    .action(async (name: string, o: { dir: string }) => {
      const r = await (await loadLab()).labReboot({ dir: o.dir, node: name });
      const out = [
        `${r.node}: lost ${r.devices.length > 0 ? `device ${r.devices.join(", ")}` : "no meshctl device"}, ${r.routes} other route(s) of meshctl's protocol and ${r.runFiles} entr${r.runFiles === 1 ? "y" : "ies"} of /run/meshctl`,
      ];
      if (r.units.length === 0) out.push(`${r.node}: no meshctl unit enabled: nothing ran at boot`);
      for (const u of r.units) {
        out.push(`${r.node}: ${u.name} ${u.status}${u.detail ? ` (${u.detail})` : ""}`);
        for (const l of u.lines) {
          out.push(`  ${l.code === 0 ? "ok" : `exit ${l.code}`}: ${l.command}`);
          if (l.code !== 0 && l.output) out.push(...l.output.split("\n").map((x) => `    ${x}`));
        }
      }
      process.stdout.write(`${out.join("\n")}\n`);
      if (r.units.some((u) => u.status === "failed")) process.exitCode = ExitCode.failed;
    });

  lab
    .command("status")
    .description(
      "show the lab and check its namespaces and processes (exit 1 when there is none or it is unhealthy)",
    )
    .addOption(dirOption())
    .addOption(outputOption())
    .action(async (o: { dir: string; output: OutputFormat }) => {
      const st = await (await loadLab()).labStatus({ dir: o.dir });
      if (o.output !== "text") {
        const code = st?.healthy ? ExitCode.ok : ExitCode.failed;
        await printDocument(o.output, "lab status", code, { lab: st ?? null });
      } else if (!st) {
        process.stdout.write(`no lab in ${o.dir}\n`);
      } else {
        const byName = new Map(st.nodes.map((n) => [n.name, n]));
        const rows = nodeRows(st.info, (name) => {
          const n = byName.get(name);
          if (!n?.namespaceUp) return "no namespace";
          return n.sshdUp ? "up" : "down";
        });
        const apis = st.clusters
          .filter((c) => c.kubeApiUp !== undefined)
          .map((c) => `${c.name} ${c.kubeApiUp ? "up" : "down"}`);
        const state =
          st.phase === "starting" ? "starting (or failed half-way)" : st.healthy ? "healthy" : "UNHEALTHY";
        process.stdout.write(
          [
            `lab in ${st.dir}: ${state}, ${st.info.nodes.length} nodes in ${st.info.clusters.length} clusters, up since ${st.createdAt}`,
            "",
            table(rows),
            "",
            ...(apis.length > 0 ? [`kubernetes APIs: ${apis.join(", ")}`] : []),
            `inventory: ${st.info.inventory}`,
            "",
          ].join("\n"),
        );
      }
      if (!st?.healthy) process.exitCode = ExitCode.failed;
    });

  for (const [verb, what] of [
    [
      "join",
      "register NODE in its cluster's API: its Node (InternalIP) and block affinities, as kubelet and Calico would",
    ],
    ["leave", "delete NODE's Node and block affinities from its cluster's API (the node's namespaces stay)"],
  ] as const) {
    lab
      .command(`${verb} <node>`)
      .description(what)
      .addOption(dirOption())
      .action(async (node: string, o: { dir: string }) => {
        const lab = await loadLab();
        const n = await (verb === "join" ? lab.labJoin : lab.labLeave)({ dir: o.dir, node });
        process.stdout.write(`${n.name} ${verb === "join" ? "joined" : "left"} ${n.cluster}\n`);
      });
  }
}
