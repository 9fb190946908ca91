import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { TARGET, firstDifference, format, generate, tsType } from "./gen-web-types.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts/gen-web-types.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });

describe("the JSON Schema -> TypeScript converter", () => {
  test("the shapes zod emits: objects, optional and nullable fields, enums, literals, unions, records, arrays, refs", () => {
    const reg = z.registry<{ id: string }>();
    const Kind = z.enum(["a", "b"]);
    reg.add(Kind, { id: "Kind" });
    const Thing = z.object({
      id: z.string(),
      count: z.number().int(),
      ratio: z.number().nullable(),
      kind: Kind,
      tag: z.literal("x"),
      note: z.string().optional(),
      tags: z.array(z.union([z.string(), z.number()])),
      scores: z.record(z.string(), z.number()),
      nested: z.object({ "not-an-identifier": z.boolean() }).nullable(),
      pair: z.tuple([z.string(), z.number()]),
      any: z.unknown(),
      either: z.discriminatedUnion("k", [z.object({ k: z.literal(1) }), z.object({ k: z.literal(2), v: z.string() })]),
    });
    reg.add(Thing, { id: "Thing" });
    const schemas = z.toJSONSchema(reg, { uri: (id) => `#/components/schemas/${id}` }).schemas;
    const source = generate({
      components: { schemas },
      paths: {
        "/api/v1/things": {
          get: {
            operationId: "getThings",
            responses: {
              "200": {
                content: {
                  "application/json": {
                    schema: {
                      type: "object",
                      properties: { items: { type: "array", items: { $ref: "#/components/schemas/Thing" } } },
                      required: ["items"],
                    },
                  },
                },
              },
            },
          },
        },
        "/api/v1/things/{id}": {
          get: {
            operationId: "getThingsId",
            responses: { "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } } } },
          },
        },
      },
      "x-live-events": { thing: { payload: { $ref: "#/components/schemas/Thing" } } },
    });
    const body = source.slice(source.indexOf("export type Kind"));
    assert.equal(
      body,
      `export type Kind = "a" | "b";

export interface Thing {
  id: string;
  count: number;
  ratio: number | null;
  kind: Kind;
  tag: "x";
  note?: string;
  tags: (string | number)[];
  scores: Record<string, number>;
  nested: {
    "not-an-identifier": boolean;
  } | null;
  pair: [string, number];
  any: unknown;
  either: {
    k: 1;
  } | {
    k: 2;
    v: string;
  };
}

/** GET /api/v1/things (200) */
export interface GetThingsResponse {
  items: Thing[];
}

/** socket.io: event name -> payload (the portal validates every payload against its schema before pushing it). */
export interface LiveEvents {
  thing: Thing;
}

export type LiveEventName = keyof LiveEvents;
`,
    );
    assert.ok(!source.includes("GetThingsIdResponse"), "an answer that is one named schema gets no second name");
    assert.ok(format(source).includes("export interface Thing {"), "biome formats it");
  });

  test("nullable as a type array or an OpenAPI 3.0 flag, all-of as an intersection, description as a doc comment", () => {
    assert.equal(tsType({ type: ["string", "null"] }), "string | null");
    assert.equal(tsType({ type: "integer", nullable: true }), "number | null");
    assert.equal(tsType({ allOf: [{ $ref: "#/components/schemas/A" }, { $ref: "#/components/schemas/B" }] }), "A & B");
    assert.equal(tsType({ type: "array", items: { enum: ["x", null] } }), '("x" | null)[]');
    assert.equal(tsType({}), "unknown");
    assert.equal(tsType({ type: "object" }), "Record<string, unknown>");
    assert.match(
      generate({ components: { schemas: { D: { type: "string", description: "a day, YYYY-MM-DD" } } } }),
      /\/\*\* a day, YYYY-MM-DD \*\/\nexport type D = string;/,
    );
  });

  test("what it cannot express fails, naming where, instead of becoming unknown", () => {
    assert.throws(
      () => tsType({ type: "object", properties: { x: { not: { type: "string" } } } }, "Thing"),
      /Thing\.x: unsupported keyword "not"/,
    );
    assert.throws(() => tsType({ $ref: "#/$defs/Elsewhere" }, "Thing"), /Thing: unsupported \$ref/);
    assert.throws(() => tsType({ type: "file" }, "Thing"), /Thing: unsupported type "file"/);
  });
});

describe("the drift check (make lint)", () => {
  test("web/src/api.gen.ts is what the portal's schemas generate now", () => {
    const r = script("--check");
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /up to date/);
  });

  test("a drifted copy fails with the line, both versions and how to fix it; a missing file fails too", () => {
    const dir = mkdtempSync(join(tmpdir(), "gen-web-types-"));
    try {
      const copy = join(dir, "api.gen.ts");
      // a field the schemas have, gone from the file (someone edited it, or a schema changed and nobody regenerated)
      const original = readFileSync(TARGET, "utf8");
      const drifted = original.replace(/\n {2}csrfToken: string;/, "");
      assert.notEqual(drifted, original);
      writeFileSync(copy, drifted);
      const r = script("--check", "--file", copy);
      assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
      const d = firstDifference(original, drifted);
      assert.match(r.stderr, new RegExp(`api\\.gen\\.ts differs from the portal's OpenAPI document \\(line ${d?.line}\\)`));
      assert.match(r.stderr, /generated: {3}csrfToken: string;\n {2}in file: {3}}/);
      assert.match(r.stderr, /Run `node --import tsx scripts\/gen-web-types\.ts` and commit the file/);

      const missing = script("--check", "--file", join(dir, "nothing.ts"));
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /nothing\.ts is missing/);

      // writing it brings it back
      assert.equal(script("--file", copy).status, 0);
      assert.equal(readFileSync(copy, "utf8"), original);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
