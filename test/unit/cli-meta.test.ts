import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { completionScript } from "../../src/cli/completion.js";
import { helpAfter } from "../../src/cli/help.js";
import { manPage } from "../../src/cli/manpage.js";
import { buildProgram } from "../../src/cli/program.js";
import { VERSION } from "../../src/cli/version.js";

const ROOT = join(import.meta.dirname, "..", "..");
const program = () => buildProgram([]);

/** What bash's completion offers for `words` (the last one being completed). */
function complete(script: string, words: string[]): string[] {
  const arr = words.map((w) => `'${w}'`).join(" ");
  const r = spawnSync(
    "bash",
    [
      "-c",
      `${script}\nCOMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _meshctl; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: "utf8" },
  );
  expect(r.stderr).toBe("");
  return r.stdout.split("\n").filter(Boolean);
}

describe("meshctl version", () => {
  it("is package.json's version", () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });
});

describe("completion scripts, made from the command tree", () => {
  it("bash: verbs, a verb's options, -o's choices, lab's subcommands and their options", async () => {
    const s = completionScript("bash", await program());
    expect(complete(s, ["meshctl", "di"])).toEqual(["diff", "discover", "diagnose"]);
    expect(complete(s, ["meshctl", "apply", "--at"])).toEqual(["--atomic"]);
    expect(complete(s, ["meshctl", "ping", "-o", "y"])).toEqual(["yaml"]);
    expect(complete(s, ["meshctl", "lab", ""])).toEqual([
      "up",
      "down",
      "reboot",
      "status",
      "join",
      "leave",
      "--help",
    ]);
    expect(complete(s, ["meshctl", "lab", "up", "--bas"])).toEqual(["--bastion"]);
    expect(complete(s, ["meshctl", "ping", "--ssh"])).toEqual(["--ssh-config"]);
  }, 60_000);

  it("zsh wraps the bash function; fish names every verb with its description", async () => {
    const p = await program();
    expect(completionScript("zsh", p)).toMatch(/^#compdef meshctl\n[\s\S]*bashcompinit[\s\S]*_meshctl\(\)/);
    const fish = completionScript("fish", p);
    for (const v of ["plan", "diff", "apply", "teardown", "ping", "verify", "diagnose", "lab", "version"]) {
      expect(fish).toContain(`-n __fish_use_subcommand -a ${v} -d '`);
    }
    expect(fish).toContain("complete -c meshctl -n '__fish_seen_subcommand_from apply' -l atomic");
  });
});

describe("help and man page", () => {
  it("every verb's --help ends with examples and its exit codes", async () => {
    for (const c of (await program()).commands) {
      const help = c.helpInformation() + helpAfter(c.name());
      expect(help, c.name()).toMatch(/Examples:\n {2}(sudo )?meshctl /);
      expect(help, c.name()).toMatch(/Exit codes:\n +0 {2}/);
    }
    expect(helpAfter("diff")).toMatch(/ 2 {2}changes are pending/);
    expect(helpAfter("plan")).not.toMatch(/ 4 {2}/); // plan contacts nothing
  });

  it("man/meshctl.1 (shipped) is what `meshctl man` prints: regenerate it with `npm run man`", async () => {
    expect(readFileSync(join(ROOT, "man", "meshctl.1"), "utf8")).toBe(manPage(await program()));
  });

  it("the man page has a section per verb and escapes roff", async () => {
    const m = manPage(await program());
    expect(m).toMatch(/^\.TH MESHCTL 1 /);
    for (const v of ["plan", "apply", "lab up", "completion"]) expect(m).toContain(`.SS "meshctl ${v} `);
    expect(m).not.toMatch(/^[^.\\\n].*(?<!\\)-/m); // every hyphen escaped outside requests
  });
});
