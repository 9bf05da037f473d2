/**
 * `lab down`: remove exactly what lab.json records (processes first, checked by PID *and* start time), then,
 * as a safety net, anything with the lab's prefixes: processes inside lab namespaces, root-namespace links
 * named mshlab*, namespaces named mshlab-* / mshpod-*. Idempotent: a second run removes nothing.
 */
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve, sep } from "node:path";
import { LabError } from "./errors.js";
import { bridgeOwner, DEFAULT_LAB_DIR, listLinks, listNamespaces, requireRoot } from "./host.js";
import { LAB_LINK_PREFIX, NODE_NS_PREFIX, POD_NS_PREFIX } from "./plan.js";
import { type LabState, readState, stateFile } from "./state.js";
import { ipBatch, procStat, run, stopProcesses, type TrackedProcess } from "./sys.js";

export interface LabDownOptions {
  dir?: string;
  log?: (line: string) => void;
}

const isLabNamespace = (n: string) => n.startsWith(NODE_NS_PREFIX) || n.startsWith(POD_NS_PREFIX);

/**
 * Live processes whose network namespace is one of `names` (what `ip netns pids` does, for all of them in
 * one pass over /proc instead of one `ip` per namespace).
 */
function namespacePids(names: readonly string[]): TrackedProcess[] {
  const inodes = new Set<string>();
  for (const n of names) {
    for (const base of ["/run/netns", "/var/run/netns"]) {
      try {
        inodes.add(`net:[${statSync(join(base, n)).ino}]`);
        break;
      } catch {
        // not there
      }
    }
  }
  const out: TrackedProcess[] = [];
  if (inodes.size === 0) return out;
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (!inodes.has(readlinkSync(`/proc/${e}/ns/net`))) continue;
    } catch {
      continue; // gone, or a kernel thread
    }
    const st = procStat(Number(e));
    if (st && st.state !== "Z") out.push({ pid: Number(e), startTime: st.startTime });
  }
  return out;
}

export async function labDown(opts: LabDownOptions = {}): Promise<{ removed: string[] }> {
  requireRoot("meshctl lab down");
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.dir ?? DEFAULT_LAB_DIR);
  const st: LabState | undefined = readState(dir);
  const removed: string[] = [];
  const note = (what: string) => {
    removed.push(what);
    log(`removed ${what}`);
  };

  // 1. Recorded processes (sshd, Kubernetes APIs): only while PID and start time still match.
  if (st && st.processes.length > 0) {
    const alive = st.processes.filter((p) => {
      const s = procStat(p.pid);
      return s && s.startTime === p.startTime && s.state !== "Z";
    });
    const stuck = await stopProcesses(alive);
    for (const p of alive) {
      if (!stuck.some((s) => s.pid === p.pid)) note(`process ${p.pid} (${p.role} of ${p.owner})`);
    }
    if (stuck.length > 0) {
      throw new LabError(
        `processes ${stuck.map((p) => p.pid).join(", ")} would not stop; run lab down again`,
      );
    }
  }

  // 2. What to sweep by prefix: never another directory's live lab.
  const links = await listLinks();
  const owner = bridgeOwner(links);
  const otherLab = owner.dir !== undefined && owner.dir !== dir && existsSync(stateFile(owner.dir));
  if (otherLab) log(`a lab in ${owner.dir} owns ${LAB_LINK_PREFIX}0: not sweeping lab-prefixed leftovers`);
  const existingNs = new Set(await listNamespaces());
  const namespaces = [
    ...new Set([...(st?.namespaces ?? []), ...(otherLab ? [] : [...existingNs].filter(isLabNamespace))]),
  ].filter((n) => existingNs.has(n));

  // 3. Anything still running inside the lab's namespaces (sessions, strays of a crashed up).
  const strays = namespacePids(namespaces);
  if (strays.length > 0) {
    const stuck = await stopProcesses(strays);
    for (const p of strays)
      if (!stuck.some((s) => s.pid === p.pid)) note(`process ${p.pid} (in a lab namespace)`);
    if (stuck.length > 0) {
      throw new LabError(
        `processes ${stuck.map((p) => p.pid).join(", ")} would not stop; run lab down again`,
      );
    }
  }

  // 4. Root-namespace links (the node veths first, so their peers go at once, then the bridge).
  const existingLinks = new Set(links.map((l) => l.ifname));
  const recordedLinks = [...(st?.links ?? [])].reverse();
  const prefixed = otherLab ? [] : links.map((l) => l.ifname).filter((n) => n.startsWith(LAB_LINK_PREFIX));
  const linkList = [...new Set([...recordedLinks, ...prefixed.sort((a, b) => b.localeCompare(a))])].filter(
    (l) => existingLinks.has(l),
  );
  const bridgeLast = [
    ...linkList.filter((l) => l !== `${LAB_LINK_PREFIX}0`),
    ...linkList.filter((l) => l === `${LAB_LINK_PREFIX}0`),
  ];
  if (bridgeLast.length > 0) {
    await ipBatch(
      bridgeLast.map((l) => `link del dev ${l}`),
      true,
    );
    const left = new Set((await listLinks()).map((l) => l.ifname));
    for (const l of bridgeLast) if (!left.has(l)) note(`link ${l}`);
  }

  // 5. Namespaces.
  if (namespaces.length > 0) {
    await ipBatch(
      namespaces.map((n) => `netns del ${n}`),
      true,
    );
    const left = new Set(await listNamespaces());
    for (const n of namespaces) if (!left.has(n)) note(`namespace ${n}`);
    const stay = namespaces.filter((n) => left.has(n));
    if (stay.length > 0) throw new LabError(`could not delete namespaces ${stay.join(", ")}`);
  }

  if (st) {
    // 6. Routes, sysctls.
    for (const r of st.routes) {
      const shown = await run("ip", ["route", "show", "type", ...r], { allowFail: true });
      if (shown.code === 0 && shown.stdout.trim() !== "") {
        await run("ip", ["route", "del", ...r]);
        note(`route ${r.join(" ")}`);
      }
    }
    for (const s of st.sysctls) {
      try {
        if (readFileSync(s.path, "utf8").trim() !== s.value) {
          writeFileSync(s.path, `${s.value}\n`);
          note(`sysctl ${s.path.replace("/proc/sys/", "").replaceAll("/", ".")} (restored to ${s.value})`);
        }
      } catch (err) {
        log(`cannot restore ${s.path}: ${(err as Error).message}`);
      }
    }

    // 7. The sudo user.
    if (st.sudoersFile && existsSync(st.sudoersFile)) {
      rmSync(st.sudoersFile, { force: true });
      note(`file ${st.sudoersFile}`);
    }
    if (st.user?.created) {
      const exists = await run("getent", ["passwd", st.user.name], { allowFail: true });
      if (exists.code === 0) {
        await run("userdel", [st.user.name]);
        note(`user ${st.user.name}`);
      }
    }

    // 8. Host directories up made as bind targets: only while still empty (a node's files live elsewhere).
    for (const d of [...(st.hostDirs ?? [])].reverse()) {
      try {
        if (existsSync(d) && readdirSync(d).length === 0) {
          rmdirSync(d);
          note(`directory ${d}`);
        } else if (existsSync(d)) {
          log(`not removing ${d}: not empty`);
        }
      } catch (err) {
        log(`cannot remove ${d}: ${(err as Error).message}`);
      }
    }

    // 9. Files, then the state itself, then the directory (if the lab made it).
    for (const p of [...st.paths].reverse()) {
      if (!isSafePath(p, dir, st.info.inventory)) {
        log(`not removing ${p}: outside the lab directory`);
        continue;
      }
      if (existsSync(p)) {
        rmSync(p, { recursive: true, force: true });
        note(`path ${p}`);
      }
    }
    rmSync(stateFile(dir), { force: true });
    rmSync(`${stateFile(dir)}.tmp`, { force: true });
    note(`path ${stateFile(dir)}`);
    if (st.createdDir) {
      try {
        if (readdirSync(dir).length === 0) {
          rmdirSync(dir);
          note(`directory ${dir}`);
        }
      } catch {
        // gone already
      }
    } else if (st.dirMode !== undefined && existsSync(dir)) {
      chmodSync(dir, st.dirMode);
    }
  }
  return { removed };
}

/** A recorded path is removed only if it is inside the lab directory, or is the lab's inventory file. */
function isSafePath(p: string, dir: string, inventory: string): boolean {
  const abs = resolve(p);
  return abs === resolve(inventory) || (abs.startsWith(dir + sep) && abs !== dir);
}
