/**
 * The console's API types, generated: builds the portal's OpenAPI document in-process (the route registry, no server,
 * no NATS) and writes web/src/api.gen.ts: one exported type per `components.schemas` entry, one per JSON answer of a
 * route that is not just a named schema (`<OperationId>Response`), and `LiveEvents` (socket.io event name -> payload,
 * from `x-live-events`). Formatted with the repository's biome, so the file is exactly what this script writes.
 *
 *   node --import tsx scripts/gen-web-types.ts            writes web/src/api.gen.ts
 *   node --import tsx scripts/gen-web-types.ts --check    fails (exit 1) when web/src/api.gen.ts differs (make lint)
 *   --file <path>                                          another file to write or check (tests)
 *
 * The converter covers the JSON Schema that zod's toJSONSchema emits: type (also as an array, for nullable),
 * properties/required, additionalProperties (records), items/prefixItems, enum, const, anyOf/oneOf/allOf and $ref to
 * components. Anything else fails the generation, naming where, rather than turning into a silent `unknown`.
 *
 * Nothing is written twice: a schema that is all of named schemas and one object is an interface extending them, and a
 * union of objects that share members (same schema) is `{ shared } & ({ rest } | ...)`.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export type JsonSchema = Record<string, unknown>;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const TARGET = join(ROOT, "web/src/api.gen.ts");
const REF = /^#\/components\/schemas\/([A-Za-z_][A-Za-z0-9_]*)$/;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Keywords that only constrain values (no effect on the TypeScript type). */
const IGNORED = new Set([
  "$schema",
  "$id",
  "title",
  "description",
  "default",
  "examples",
  "format",
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "propertyNames",
  "contentEncoding",
  "contentMediaType",
  "readOnly",
  "writeOnly",
  "deprecated",
]);
const HANDLED = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "prefixItems",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "allOf",
  "$ref",
  "nullable",
]);

const doc = (text: unknown, indent: string): string =>
  typeof text === "string" && text.trim() !== ""
    ? `${indent}/** ${text.trim().replace(/\*\//g, "*\\/").replace(/\n/g, `\n${indent} * `)} */\n`
    : "";

const key = (k: string) => (IDENT.test(k) ? k : JSON.stringify(k));

/** Wraps a union or intersection so it can be an array's element. */
const atom = (t: string) => (/[|&]/.test(t) && !/^[[{(]/.test(t) ? `(${t})` : t);

function union(types: string[]): string {
  const uniq = [...new Set(types)];
  return uniq.length === 0 ? "never" : uniq.join(" | ");
}

/** The TypeScript type of a JSON Schema (`at` names the place, for errors). */
export function tsType(schema: unknown, at = "schema", indent = ""): string {
  if (schema === true || (typeof schema === "object" && schema !== null && Object.keys(schema).length === 0)) return "unknown";
  if (schema === false) return "never";
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw new Error(`${at}: not a schema`);
  const s = schema as JsonSchema;
  for (const k of Object.keys(s)) {
    if (!IGNORED.has(k) && !HANDLED.has(k)) throw new Error(`${at}: unsupported keyword "${k}"`);
  }
  const nullable = s.nullable === true ? " | null" : "";
  if (typeof s.$ref === "string") {
    const m = REF.exec(s.$ref);
    if (!m) throw new Error(`${at}: unsupported $ref ${s.$ref} (only #/components/schemas/<Name>)`);
    return `${m[1]}${nullable}`;
  }
  if ("const" in s) return `${JSON.stringify(s.const)}${nullable}`;
  if (Array.isArray(s.enum)) return union([...s.enum.map((v) => JSON.stringify(v)), ...(nullable ? ["null"] : [])]);
  for (const k of ["anyOf", "oneOf"] as const) {
    if (Array.isArray(s[k])) {
      const shared = sharedMembers(s[k] as unknown[]);
      if (shared !== null && !nullable) {
        // the members every variant has alike, written once: `{ shared } & ({ rest } | { rest })`
        const common = objectType({ properties: shared.properties, required: shared.required }, at, indent);
        const rest = shared.variants.map((v, i) => objectType(v, `${at}.${k}[${i}]`, indent));
        return `${common} & (${union(rest)})`;
      }
      const types = (s[k] as unknown[]).map((x, i) => tsType(x, `${at}.${k}[${i}]`, indent));
      return union([...types, ...(nullable ? ["null"] : [])]);
    }
  }
  if (Array.isArray(s.allOf)) {
    const parts = (s.allOf as unknown[]).map((x, i) => atom(tsType(x, `${at}.allOf[${i}]`, indent)));
    return `${parts.join(" & ")}${nullable}`;
  }
  if (Array.isArray(s.type)) {
    return union([...s.type.map((t) => tsType({ ...s, type: t }, at, indent)), ...(nullable ? ["null"] : [])]);
  }
  switch (s.type) {
    case "string":
      return `string${nullable}`;
    case "number":
    case "integer":
      return `number${nullable}`;
    case "boolean":
      return `boolean${nullable}`;
    case "null":
      return "null";
    case "array": {
      if (Array.isArray(s.prefixItems)) {
        const parts = (s.prefixItems as unknown[]).map((x, i) => tsType(x, `${at}.prefixItems[${i}]`, indent));
        const rest = s.items === undefined || s.items === false ? "" : `, ...${atom(tsType(s.items, `${at}.items`, indent))}[]`;
        return `[${parts.join(", ")}${rest}]${nullable}`;
      }
      return `${s.items === undefined ? "unknown" : atom(tsType(s.items, `${at}.items`, indent))}[]${nullable}`;
    }
    case "object":
      return `${objectType(s, at, indent)}${nullable}`;
    case undefined:
      if ("properties" in s || "additionalProperties" in s) return `${objectType(s, at, indent)}${nullable}`;
      return "unknown";
    default:
      throw new Error(`${at}: unsupported type ${JSON.stringify(s.type)}`);
  }
}

function objectType(s: JsonSchema, at: string, indent: string): string {
  const props = (s.properties ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const extra = s.additionalProperties;
  const rest =
    extra === undefined || extra === false ? null : tsType(extra === true ? {} : extra, `${at}.additionalProperties`, indent);
  const names = Object.keys(props);
  if (names.length === 0) return `Record<string, ${rest ?? "unknown"}>`;
  const inner = `${indent}  `;
  const lines = names.map((name) => {
    const p = props[name];
    const description = typeof p === "object" && p !== null ? (p as JsonSchema).description : undefined;
    const opt = required.has(name) ? "" : "?";
    return `${doc(description, inner)}${inner}${key(name)}${opt}: ${tsType(p, `${at}.${name}`, inner)};`;
  });
  const body = `{\n${lines.join("\n")}\n${indent}}`;
  return rest === null ? body : `${body} & Record<string, ${rest}>`;
}

/**
 * A union of plain objects whose variants all have some of the same members (same schema, same requiredness): those
 * members, and each variant without them; null when there are none, or a variant would be left with nothing.
 */
function sharedMembers(
  variants: unknown[],
): { properties: Record<string, unknown>; required: string[]; variants: JsonSchema[] } | null {
  const objects = variants as JsonSchema[];
  const plain = (v: JsonSchema) =>
    typeof v === "object" &&
    v !== null &&
    v.type === "object" &&
    v.nullable !== true &&
    typeof v.properties === "object" &&
    (v.additionalProperties === undefined || v.additionalProperties === false);
  if (objects.length < 2 || !objects.every(plain)) return null;
  const props = (v: JsonSchema) => v.properties as Record<string, unknown>;
  const req = (v: JsonSchema) => new Set(Array.isArray(v.required) ? (v.required as string[]) : []);
  const [first, ...others] = objects as [JsonSchema, ...JsonSchema[]];
  const same = Object.keys(props(first)).filter((name) =>
    others.every(
      (v) =>
        name in props(v) &&
        JSON.stringify(props(v)[name]) === JSON.stringify(props(first)[name]) &&
        req(v).has(name) === req(first).has(name),
    ),
  );
  if (same.length === 0) return null;
  const rest = objects.map((v) => {
    const properties = Object.fromEntries(Object.entries(props(v)).filter(([name]) => !same.includes(name)));
    return { ...v, properties, required: [...req(v)].filter((name) => !same.includes(name)) };
  });
  if (rest.some((v) => Object.keys(v.properties).length === 0)) return null;
  return {
    properties: Object.fromEntries(same.map((name) => [name, props(first)[name]])),
    required: same.filter((name) => req(first).has(name)),
    variants: rest,
  };
}

const pascal = (id: string) => id.replace(/^[a-z]/, (c) => c.toUpperCase());

/** A declaration: an interface for a plain object (extending the named ones it is all of), else a type alias. */
function declaration(name: string, schema: unknown, at: string): string {
  const s = schema as JsonSchema;
  const parts = Array.isArray(s.allOf) ? (s.allOf as JsonSchema[]) : [];
  const refs = parts.filter((p) => typeof p.$ref === "string" && Object.keys(p).length === 1);
  const own = parts.filter((p) => !refs.includes(p));
  if (refs.length > 0 && own.length === 1 && s.nullable !== true && (own[0] as JsonSchema).type === "object") {
    const body = tsType(own[0], `${at}.allOf`);
    if (body.startsWith("{") && body.endsWith("}")) {
      const bases = refs.map((r, i) => tsType(r, `${at}.allOf[${i}]`));
      return `${doc(s.description, "")}export interface ${name} extends ${bases.join(", ")} ${body}`;
    }
  }
  const t = tsType(schema, at);
  const plainObject =
    s.type === "object" && s.nullable !== true && (s.additionalProperties === undefined || s.additionalProperties === false);
  return `${doc(s.description, "")}${plainObject && t.startsWith("{") ? `export interface ${name} ${t}` : `export type ${name} = ${t};`}`;
}

interface Operation {
  operationId?: string;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** The TypeScript source (unformatted) of an OpenAPI document's types. */
export function generate(openapi: JsonSchema): string {
  const out: string[] = [
    "/**",
    " * GENERATED by scripts/gen-web-types.ts from the portal's OpenAPI document (GET /api/v1/openapi.json): do not edit.",
    " * Change the zod schemas (services/portal/src/http/schemas.ts) and run `node --import tsx scripts/gen-web-types.ts`;",
    " * `make lint` fails while this file differs from what the generator writes.",
    " */",
    "",
  ];
  const schemas = ((openapi.components as JsonSchema | undefined)?.schemas ?? {}) as Record<string, unknown>;
  for (const [name, schema] of Object.entries(schemas)) {
    if (!IDENT.test(name)) throw new Error(`components.schemas.${name}: not a TypeScript name`);
    out.push(declaration(name, schema, `components.schemas.${name}`), "");
  }
  const taken = new Set(Object.keys(schemas));
  for (const [path, ops] of Object.entries((openapi.paths ?? {}) as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const ok = Object.entries(op.responses ?? {}).find(
        ([status, r]) => /^2\d\d$/.test(status) && r.content?.["application/json"],
      );
      const schema = ok?.[1].content?.["application/json"]?.schema as JsonSchema | undefined;
      // an answer that is one named schema already has its type
      if (
        !schema ||
        !op.operationId ||
        (typeof schema.$ref === "string" && Object.keys(schema).every((k) => k === "$ref" || k === "$schema"))
      )
        continue;
      const name = `${pascal(op.operationId)}Response`;
      if (taken.has(name)) throw new Error(`${method} ${path}: ${name} is taken`);
      taken.add(name);
      const { $schema: _s, ...body } = schema;
      out.push(`/** ${method.toUpperCase()} ${path} (${ok?.[0]}) */`, declaration(name, body, `${method} ${path}`), "");
    }
  }
  const live = (openapi["x-live-events"] ?? {}) as Record<string, { payload?: unknown }>;
  if (Object.keys(live).length > 0) {
    out.push(
      "/** socket.io: event name -> payload (the portal validates every payload against its schema before pushing it). */",
    );
    out.push("export interface LiveEvents {");
    for (const [event, e] of Object.entries(live))
      out.push(`  ${key(event)}: ${tsType(e.payload, `x-live-events.${event}`, "  ")};`);
    out.push("}", "", "export type LiveEventName = keyof LiveEvents;", "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** `source` formatted as biome formats web/src/api.gen.ts (the repository's biome.json). */
export function format(source: string): string {
  const biome = join(ROOT, "node_modules/@biomejs/biome/bin/biome");
  const r = spawnSync(process.execPath, [biome, "format", `--stdin-file-path=${relative(ROOT, TARGET)}`], {
    cwd: ROOT,
    input: source,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`biome format failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** web/src/api.gen.ts as the portal's schemas make it now. */
export async function render(): Promise<string> {
  const { portalOpenApi } = await import("../services/portal/src/routes/index.ts");
  return format(generate(portalOpenApi() as JsonSchema));
}

/** The first line where `a` and `b` differ (1-based), with both versions. */
export function firstDifference(a: string, b: string): { line: number; expected: string; actual: string } | null {
  const x = a.split("\n");
  const y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return { line: i + 1, expected: x[i] ?? "(end of file)", actual: y[i] ?? "(end of file)" };
  }
  return null;
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes("--check");
  const i = argv.indexOf("--file");
  const file = i >= 0 && argv[i + 1] ? resolve(argv[i + 1] as string) : TARGET;
  const rel = relative(process.cwd(), file);
  const shown = rel && !rel.startsWith("..") ? rel : file;
  const expected = await render();
  if (!check) {
    writeFileSync(file, expected);
    console.log(`gen-web-types: wrote ${shown}`);
    return 0;
  }
  let actual: string | null = null;
  try {
    actual = readFileSync(file, "utf8");
  } catch {
    actual = null;
  }
  const diff = actual === null ? null : firstDifference(expected, actual);
  if (actual !== null && diff === null) {
    console.log(`gen-web-types: ${shown} is up to date`);
    return 0;
  }
  console.error(
    actual === null
      ? `gen-web-types: ${shown} is missing.`
      : `gen-web-types: ${shown} differs from the portal's OpenAPI document (line ${diff?.line}):\n` +
          `  generated: ${diff?.expected}\n  in file:   ${diff?.actual}`,
  );
  console.error("Run `node --import tsx scripts/gen-web-types.ts` and commit the file (it is generated: do not edit it).");
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`gen-web-types: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(2);
    },
  );
}
