/**
 * Whether meshctl colours its output, decided once at start-up, before chalk loads (it reads
 * the environment when imported): `--no-color` / `--color` on the command line, then `NO_COLOR` (any
 * non-empty value: off), then `FORCE_COLOR` (`0`/`false`: off, anything else: on), then whether the
 * output is a terminal. The choice is written back as NO_COLOR / FORCE_COLOR, which chalk, its
 * supports-color honour, so every renderer agrees. Dependency-free.
 */
export type ColourChoice = "on" | "off" | "auto";

export function colourChoice(argv: readonly string[], env: NodeJS.ProcessEnv): ColourChoice {
  const flags = argv.slice(2).filter((a) => a === "--no-color" || a === "--color");
  const last = flags[flags.length - 1];
  if (last) return last === "--color" ? "on" : "off";
  if (env.NO_COLOR) return "off";
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force === "0" || force === "false" ? "off" : "on";
  return "auto";
}

/** Make the environment say `choice` to every colour library loaded after this. */
export function applyColourChoice(choice: ColourChoice, env: NodeJS.ProcessEnv = process.env): void {
  if (choice === "off") {
    env.NO_COLOR = "1";
    env.FORCE_COLOR = "0";
  } else if (choice === "on") {
    delete env.NO_COLOR;
    if (!env.FORCE_COLOR || env.FORCE_COLOR === "0" || env.FORCE_COLOR === "false") env.FORCE_COLOR = "1";
  }
}
