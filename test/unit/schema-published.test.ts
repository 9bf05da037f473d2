import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { schemaFiles } from "../../src/inventory/write-schema.js";

describe("published JSON Schemas", () => {
  for (const [name, make] of Object.entries(schemaFiles)) {
    it(`schema/${name} is what the validator's schema generates (run npm run schema)`, () => {
      expect(JSON.parse(readFileSync(`schema/${name}`, "utf8"))).toEqual(make());
    });
  }

  it("the inventory schema rejects unknown keys and knows the mesh fields", () => {
    const s = schemaFiles["inventory.schema.json"]() as {
      additionalProperties: boolean;
      properties: { mesh: { properties: Record<string, unknown> } };
    };
    expect(s.additionalProperties).toBe(false);
    expect(Object.keys(s.properties.mesh.properties)).toEqual(
      expect.arrayContaining(["device", "vni", "port", "overlay", "mtu", "route_protocol", "ssh"]),
    );
  });
});
