#!/usr/bin/env node
/**
 * The CLI as one ESM bundle (`npm run build`, after tsc): dist/bundle/main.js, which bin/meshctl.js runs,
 * plus one chunk per lazily loaded verb (program.ts's dynamic imports stay lazy). Why: Node's ESM loader
 * costs per module, and a `meshctl diff` loaded ~230 of them (ours and its dependencies'), ~130 ms of CPU
 * on every run before any work — on the 60-node lab about a fifth of the controller's CPU over the floor's
 * (#15). Bundled: ~60 ms. tsc's per-module output in dist/ stays (bench, lab servers and scripts import it).
 *
 * ssh2 stays outside the bundle: it loads its optional native crypto (build/Release/sshcrypto.node) relative
 * to its own files, and a bundled copy would silently fall back to the slower JavaScript ciphers.
 * The banner gives the bundled CommonJS dependencies a real `require` for Node's built-in modules.
 * The bundle lives two levels under the package root like every dist/<folder>/ module, so the
 * `../../playbooks/` paths (src/playbook/load.ts) resolve the same from both.
 */
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/main.ts"],
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outdir: "dist/bundle",
  external: ["ssh2"],
  banner: {
    js: "import { createRequire as __meshctlRequire } from 'node:module'; const require = __meshctlRequire(import.meta.url);",
  },
  legalComments: "none",
  logLevel: "warning",
});
