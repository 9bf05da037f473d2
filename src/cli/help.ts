/** Examples and exit codes at the end of every verb's --help (and so in the man page, made from the help). */
import type { Command } from "commander";

const EXAMPLES: Record<string, string[]> = {
  plan: [
    "meshctl plan -i inventory.yaml                 # the commands, node by node, and the kubectl apply per cluster",
    "meshctl plan -o json | jq -r '.clusters[].command'",
  ],
  diff: [
    "meshctl diff                                   # ./inventory.yaml, or $MESHCTL_INVENTORY",
    "meshctl diff -l cluster2 -o json               # one cluster, as a document",
    "meshctl diff -F ~/.ssh/config.prod -vv         # another SSH config; timings on stderr",
  ],
  apply: [
    "meshctl apply -i inventory.yaml",
    "meshctl apply --atomic --max-fail 0            # all or nothing",
    "meshctl apply --retries 4 --forks 20           # a busy network or a small controller",
  ],
  teardown: ["meshctl teardown -i inventory.yaml", "meshctl teardown -l c1-node3"],
  watch: [
    "meshctl watch -i /etc/meshctl/inventory.yaml     # a round every 30 s; stop with SIGTERM or Ctrl-C (exit 0)",
    "meshctl watch --interval 10 -o json | jq -c 'select(.event == \"change\")'",
  ],
  discover: [
    "meshctl discover",
    "meshctl discover --write                       # into the inventory, comments kept",
  ],
  ping: [
    "meshctl ping                                   # SSH, host keys and sudo on every node",
    "meshctl ping --accept-new-host-keys            # first contact: record keys of hosts never seen",
    "meshctl ping -F none -vvv -l c1-node1          # without ~/.ssh/config, with SSH debug",
  ],
  verify: ["meshctl verify", "meshctl verify -o json | jq '.summary'"],
  diagnose: ["meshctl diagnose", "meshctl diagnose -v                            # passing checks too"],
  lab: [
    "sudo meshctl lab up --clusters 3 --nodes 2",
    "sudo meshctl lab up --bastion",
    "sudo meshctl lab up --spare 1 && sudo meshctl lab join c1-node3",
    "sudo meshctl lab down",
  ],
  version: ["meshctl version", "meshctl version -o json"],
  completion: [
    "meshctl completion bash > /etc/bash_completion.d/meshctl",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh, not a template
    'meshctl completion zsh > "${fpath[1]}/_meshctl"',
    "meshctl completion fish > ~/.config/fish/completions/meshctl.fish",
  ],
  man: ["meshctl man > /usr/local/share/man/man1/meshctl.1"],
};

const MEANING: Record<number, string> = {
  0: "success",
  1: "a node or cluster failed (or another error to fix)",
  2: "changes are pending (the mesh is not in sync)",
  3: "the inventory, a playbook or the SSH config is invalid (nothing was contacted)",
  4: "a host was unreachable (could not connect or log in), and nothing else failed",
  64: "command-line usage error",
  70: "internal error (a bug in meshctl)",
  130: "interrupted (Ctrl-C)",
};

const REMOTE = [0, 1, 3, 4, 64, 70, 130];
const EXIT_CODES: Record<string, number[]> = {
  plan: [0, 3, 64, 70],
  diff: [0, 1, 2, 3, 4, 64, 70, 130],
  apply: REMOTE,
  teardown: REMOTE,
  discover: REMOTE,
  ping: REMOTE,
  verify: REMOTE,
  diagnose: REMOTE,
  watch: [0, 3, 64, 70],
  lab: [0, 1, 64, 70],
  version: [0],
  completion: [0, 64],
  man: [0],
};

/** The text after a verb's options: its examples, then its exit codes. */
export function helpAfter(verb: string): string {
  const ex = EXAMPLES[verb] ?? [];
  const codes = EXIT_CODES[verb] ?? [];
  const out: string[] = [];
  if (ex.length) out.push("", "Examples:", ...ex.map((e) => `  ${e}`));
  if (codes.length) {
    out.push("", "Exit codes:");
    for (const c of codes) {
      const m = verb === "diff" && c === 0 ? "in sync" : (MEANING[c] ?? "");
      out.push(`  ${String(c).padStart(3)}  ${m}`);
    }
  }
  return out.join("\n");
}

export function addVerbHelp(program: Command): void {
  for (const c of program.commands) {
    const text = helpAfter(c.name());
    if (text) c.addHelpText("after", text);
  }
  program.addHelpText(
    "after",
    [
      "",
      "Inventory: -i FILE, else $MESHCTL_INVENTORY, else ./inventory.yaml. SSH: ~/.ssh/config is read (or -F FILE);",
      "what the inventory sets wins over it. Colour: --no-color, NO_COLOR=1, FORCE_COLOR=1.",
      "Results go to stdout (-o json|yaml: one document with schemaVersion), progress and logs to stderr.",
      "",
      "Exit codes:",
      ...Object.entries(MEANING).map(([c, m]) => `  ${c.padStart(3)}  ${m}`),
    ].join("\n"),
  );
}
