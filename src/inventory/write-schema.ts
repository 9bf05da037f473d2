/** `npm run schema`: writes the published JSON Schemas, generated from the validators' own zod schemas. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { playbookSchema } from "../playbook/schema.js";
import { inventoryJsonSchema } from "./schema.js";

export function playbookJsonSchema(): unknown {
  return z.toJSONSchema(playbookSchema, { io: "input", unrepresentable: "any" });
}

export const schemaFiles = {
  "inventory.schema.json": inventoryJsonSchema,
  "playbook.schema.json": playbookJsonSchema,
};

const isMain = process.argv[1] === fileURLToPath(import.meta.url);
if (isMain) {
  for (const [name, make] of Object.entries(schemaFiles)) {
    const path = fileURLToPath(new URL(`../../schema/${name}`, import.meta.url));
    writeFileSync(path, `${JSON.stringify(make(), null, 2)}\n`);
    process.stdout.write(`wrote ${path}\n`);
  }
}
