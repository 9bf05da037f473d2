/** Terraform-style source excerpts: the line of a problem (and the one before it) with a caret under it. */

/** Tabs are shown as `→` (one column, so the caret stays under the right character). */
const visible = (line: string) => line.replaceAll("\t", "→").replace(/\r$/, "");

/**
 * ```
 *    5 |   device: vxlan-test
 *    6 | →vni: 10001
 *      | ^
 * ```
 * `line` and `col` count from 1; `width` is how many characters to underline.
 */
export function sourceSnippet(text: string, line: number, col: number, width = 1): string {
  const lines = text.split("\n");
  const from = line > 1 && (lines[line - 2] ?? "").trim() !== "" ? line - 1 : line;
  const gutter = String(line).length;
  const out: string[] = [];
  for (let n = from; n <= line; n++) {
    out.push(`${String(n).padStart(gutter)} | ${visible(lines[n - 1] ?? "")}`);
  }
  out.push(`${" ".repeat(gutter)} | ${" ".repeat(Math.max(0, col - 1))}${"^".repeat(Math.max(1, width))}`);
  return out.join("\n");
}
