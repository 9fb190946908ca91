/**
 * The services' configuration tables, generated: for each service, the keys of its zod `configSchema` (their type,
 * allowed values and range, and default, read from the schema) and what each does (the JSDoc comment above the key in
 * the config source, read with the TypeScript compiler API), written as a Markdown table into the service's README
 * between `<!-- config:start -->` and `<!-- config:end -->` (a "## Configuration" section is appended where missing;
 * the rest of the README is kept). The common settings every service reads through `runService` are named once per
 * README with a pointer to packages/bus/README.md, whose own table is generated the same way from `commonConfigShape`
 * (packages/bus/src/service.ts; a default that differs between services is listed per service). That README is
 * hand-written around its table, so it is only updated, never created: where it is missing (a `--root` without it) it
 * is skipped. The block is formatted with the repository's biome, as `biome check` wants READMEs.
 *
 *   node --import tsx scripts/config-docs.ts            writes the READMEs; warns about keys without a comment
 *   node --import tsx scripts/config-docs.ts --check    fails (exit 1) naming each README that differs (make lint)
 *   --root <dir>                                        reads and writes the READMEs under <dir> instead (tests)
 *
 * A key without a JSDoc comment gets "—" and a warning: describe it in the schema, not in the README.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const START = "<!-- config:start -->";
export const END = "<!-- config:end -->";
const FIX = "node --import tsx scripts/config-docs.ts";
/** The time zone the generator runs in, so a default taken from the host's zone is recognisable as such. */
const PROBE_TIME_ZONE = "Pacific/Chatham";
const SERVICES = ["bot", "camera", "cleaner", "greeter", "portal", "recognizer", "trainer"] as const;
export type Service = (typeof SERVICES)[number];

// ---- the zod side: what a schema says about a key ----

/** The parts of a zod v4 schema's definition read here (`schema._zod.def`). */
interface ZodNode {
  _zod: { def: ZodDef };
}
interface ZodDef {
  type: string;
  innerType?: ZodNode;
  in?: ZodNode;
  out?: ZodNode;
  options?: ZodNode[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  checks?: { _zod: { def: CheckDef } }[];
  defaultValue?: unknown;
}
interface CheckDef {
  check: string;
  format?: string;
  value?: number | bigint;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  pattern?: RegExp;
}

/** What a schema says about one key: its default (as the README shows it) and the values it accepts. */
export interface KeyFacts {
  /** `` `value` ``, "unset" (optional without a default) or "required". */
  default: string;
  allowed: string;
  /** The default as a plain value (for comparing the common keys' defaults across services). */
  raw: unknown;
}

const WRAPPERS = new Set(["optional", "nullable", "readonly", "catch", "nonoptional", "default", "prefault"]);
const BOOL_WORDS = ["true", "false", "1", "0", "yes", "no"];
/** The pattern of `env.url` (packages/runtime): a scheme and a colon. */
const URL_PATTERN = "^[a-z][a-z0-9+.-]*:";

const code = (v: string) => (v.includes("`") ? `\`\` ${v} \`\`` : `\`${v}\``);

/** How a default is shown: machine-dependent parts (the repository, the data folder, the host's zone) by name. */
export function showDefault(
  value: unknown,
  places: { root: string; dataDir: string; datasetsDir?: string; timeZone?: string },
): string {
  if (value === undefined) return "unset";
  if (typeof value !== "string") return code(JSON.stringify(value));
  if (value === "") return "empty";
  if (places.timeZone !== undefined && value === places.timeZone) return "the host's time zone";
  if (value === places.dataDir) return code("<repo>/data");
  let v = value.split(`${places.dataDir}/`).join("<PERSONA_DATA_DIR>/");
  if (places.datasetsDir !== undefined) v = v.split(`${places.datasetsDir}/`).join("<PERSONA_DATASETS>/");
  v = v.split(`${places.root}/`).join("<repo>/");
  return code(v);
}

function range(checks: CheckDef[]): string {
  let lo: CheckDef | undefined;
  let hi: CheckDef | undefined;
  for (const c of checks) {
    const v = Number(c.value);
    if (c.check === "greater_than" && Number.isFinite(v) && v > Number.MIN_SAFE_INTEGER) lo = c;
    if (c.check === "less_than" && Number.isFinite(v) && v < Number.MAX_SAFE_INTEGER) hi = c;
  }
  if (lo && hi && lo.inclusive && hi.inclusive) return `${lo.value} to ${hi.value}`;
  const parts = [lo && `${lo.inclusive ? ">=" : ">"} ${lo.value}`, hi && `${hi.inclusive ? "<=" : "<"} ${hi.value}`];
  return parts.filter(Boolean).join(", ");
}

function lengths(checks: CheckDef[]): string {
  const min = checks.find((c) => c.check === "min_length")?.minimum;
  const max = checks.find((c) => c.check === "max_length")?.maximum;
  if (min !== undefined && max !== undefined) return `${min} to ${max} characters`;
  if (min !== undefined) return `at least ${min} characters`;
  return max !== undefined ? `at most ${max} characters` : "";
}

/** The values a schema (defaults, optionals and transforms unwrapped) accepts, in words. */
export function allowedOf(node: ZodNode): string {
  const def = node._zod.def;
  if (WRAPPERS.has(def.type) && def.innerType) return allowedOf(def.innerType);
  if (def.type === "pipe" && def.in && def.out) return allowedOf(def.in._zod.def.type === "transform" ? def.out : def.in);
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  const withRange = (what: string, r: string) => (r ? `${what}, ${r}` : what);
  switch (def.type) {
    case "string": {
      const format = checks.find((c) => c.check === "string_format");
      if (format?.format === "regex" && format.pattern?.source === URL_PATTERN) return "URL";
      if (format?.format === "regex") return `string matching ${code(String(format.pattern))}`;
      return withRange(format?.format ?? "string", lengths(checks));
    }
    case "number": {
      const int = checks.some((c) => c.check === "number_format" && /int/.test(c.format ?? ""));
      return withRange(int ? "integer" : "number", range(checks));
    }
    case "boolean":
      return "`true` or `false`";
    case "enum": {
      const values = Object.values(def.entries ?? {}).map(String);
      if (values.length === BOOL_WORDS.length && BOOL_WORDS.every((w) => values.includes(w)))
        return "`true` or `false` (also `1`/`0`, `yes`/`no`)";
      return values.map(code).join(", ");
    }
    case "literal":
      return (def.values ?? []).map((v) => code(String(v))).join(", ");
    case "union":
      return (def.options ?? []).map(allowedOf).join(" or ");
    default:
      return def.type;
  }
}

/** The default a schema gives when the variable is unset (the outermost `.default`), or undefined. */
function defaultOf(node: ZodNode): { has: boolean; value: unknown; optional: boolean } {
  const def = node._zod.def;
  if (def.type === "default" || def.type === "prefault") return { has: true, value: def.defaultValue, optional: true };
  if (def.type === "optional") return { ...defaultOf(def.innerType as ZodNode), optional: true };
  if (WRAPPERS.has(def.type) && def.innerType) return defaultOf(def.innerType);
  if (def.type === "pipe" && def.in) return defaultOf(def.in);
  return { has: false, value: undefined, optional: false };
}

export function keyFacts(schema: unknown, places: Parameters<typeof showDefault>[1]): KeyFacts {
  const node = schema as ZodNode;
  const d = defaultOf(node);
  return {
    default: d.has ? showDefault(d.value, places) : d.optional ? "unset" : "required",
    allowed: allowedOf(node),
    raw: d.value,
  };
}

// ---- the source side: the JSDoc comment above each key ----

/** The text of the last `/** ... *\/` comment right before `node`, on one line; null when there is none. */
function jsdocBefore(node: ts.Node, text: string): string | null {
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  const last = ranges.at(-1);
  const raw = last ? text.slice(last.pos, last.end) : "";
  if (!raw.startsWith("/**")) return null;
  const body = raw
    .slice(3, -2)
    .split("\n")
    .map((line) => line.replace(/^\s*\*?\s?/, ""))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
  return body === "" ? null : body;
}

function unwrapExpression(e: ts.Expression): ts.Expression {
  let x = e;
  while (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isSatisfiesExpression(x)) x = x.expression;
  return x;
}

/** The object literal of a shape: `{...}` itself, `z.object({...})` (and calls chained on it), or what a function returns. */
function shapeLiteral(node: ts.Node | undefined): ts.ObjectLiteralExpression | null {
  if (!node) return null;
  if (ts.isExpression(node)) {
    const e = unwrapExpression(node);
    if (ts.isObjectLiteralExpression(e)) return e;
    if (ts.isCallExpression(e)) {
      const callee = e.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : "";
      const arg = e.arguments[0];
      if (/^(strictObject|object|looseObject)$/.test(name) && arg) return shapeLiteral(arg);
      if (ts.isPropertyAccessExpression(callee)) return shapeLiteral(callee.expression);
      return null;
    }
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return shapeLiteral(e.body);
  }
  if (ts.isFunctionDeclaration(node) || ts.isBlock(node)) {
    let found: ts.ObjectLiteralExpression | null = null;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isReturnStatement(n)) found = shapeLiteral(n.expression);
      else if (!ts.isFunctionLike(n) || n === node) ts.forEachChild(n, visit);
    };
    ts.forEachChild(node, visit);
    return found;
  }
  return null;
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
}

/** The declaration of `name` in `file` (a const or a function), following a relative import to its file. */
function declarationOf(file: string, name: string): { file: string; node: ts.Node } | null {
  const sf = parse(file);
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name?.text === name) return { file, node: st };
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) return { file, node: d.initializer };
      }
    }
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text.startsWith(".")) {
      const named = st.importClause?.namedBindings;
      const spec = named && ts.isNamedImports(named) ? named.elements.find((el) => el.name.text === name) : undefined;
      if (spec) return declarationOf(resolve(dirname(file), st.moduleSpecifier.text), (spec.propertyName ?? spec.name).text);
    }
  }
  return null;
}

/**
 * Each key of the shape `name` declares in `file` with its JSDoc comment (null: none), spreads (`...otherShape`)
 * followed into the file that declares them. Throws when the shape cannot be found (the generator must not guess).
 */
export function keyComments(file: string, name: string): Map<string, string | null> {
  const decl = declarationOf(file, name);
  const literal = shapeLiteral(decl?.node);
  if (!decl || !literal) throw new Error(`${relative(ROOT, file)}: no object shape found for ${name}`);
  const text = decl.node.getSourceFile().getFullText();
  const out = new Map<string, string | null>();
  for (const p of literal.properties) {
    if (ts.isSpreadAssignment(p) && ts.isIdentifier(p.expression)) {
      for (const [k, v] of keyComments(decl.file, p.expression.text)) out.set(k, v);
    } else if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && !ts.isComputedPropertyName(p.name)) {
      out.set(p.name.text, jsdocBefore(p, text));
    }
  }
  return out;
}

// ---- the README side ----

export interface Row {
  key: string;
  facts: KeyFacts;
  description: string | null;
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** Prose for a Markdown cell: `<` outside code spans is escaped (`<repo>` would read as an HTML tag). */
export function prose(s: string): string {
  return s
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;")))
    .join("");
}

/** A Markdown table, its columns padded to their widest cell. */
export function markdownTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((r) => r.map(cell));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const [head, ...body] = all;
  return [line(head ?? []), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...body.map(line)].join("\n");
}

export function configTable(rows: Row[]): string {
  return markdownTable(
    ["key", "default", "allowed", "what it does"],
    rows.map((r) => [code(r.key), r.facts.default, r.facts.allowed, r.description === null ? "—" : prose(r.description)]),
  );
}

/** The block between the markers (markers included). */
export function configBlock(source: string, rows: Row[], note: string): string {
  return [
    START,
    `<!-- generated by scripts/config-docs.ts from ${source} (the schema and the comment above each key): do not edit here; change the schema and run \`${FIX}\` -->`,
    "",
    configTable(rows),
    ...(note ? ["", note] : []),
    END,
  ].join("\n");
}

/** `readme` with its config block replaced by `block`, or a "## Configuration" section holding it appended. */
export function spliceBlock(readme: string, block: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start >= 0 && end > start) return readme.slice(0, start) + block + readme.slice(end + END.length);
  const heading = /^## Configuration[ \t]*$/m.exec(readme);
  if (heading) {
    const at = heading.index + heading[0].length;
    const rest = readme.slice(at).replace(/^\n+/, "");
    return `${readme.slice(0, at)}\n\n${block}\n${rest ? `\n${rest}` : ""}`;
  }
  return `${readme.trimEnd()}\n\n## Configuration\n\n${block}\n`;
}

// ---- the services ----

export interface Target {
  /** The README, relative to the root. */
  readme: string;
  /** The config source, relative to the root. */
  source: string;
  rows: Row[];
  note: string;
  /** Write the README when it is missing (a service's); false: only update an existing one (the bus's). */
  create: boolean;
}

interface CommonKeys {
  keys: string[];
  /** Keys whose default differs between services (HEALTH_PORT), with this service's default. */
  own: (service: Service) => Record<string, string>;
}

function commonNote(service: Service, common: CommonKeys): string {
  const own = common.own(service);
  const keys = common.keys.map((k) => (own[k] ? `${code(k)} (here ${own[k]})` : code(k))).join(", ");
  return (
    `Every service also reads the common settings ${keys}: see ` +
    "[packages/bus/README.md](../../packages/bus/README.md#configuration)."
  );
}

/** The targets as the schemas and their comments make them now. */
export async function targets(): Promise<Target[]> {
  const { dataDir, datasetsDir } = await import("@persona/runtime");
  const { commonConfigShape } = await import("../packages/bus/src/service.ts");
  const places = {
    root: ROOT,
    dataDir: dataDir(),
    datasetsDir: datasetsDir(),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
  const shapes = Object.fromEntries(SERVICES.map((s) => [s, commonConfigShape(s) as Record<string, unknown>]));
  const first = shapes[SERVICES[0]] ?? {};
  const varying = Object.keys(first).filter(
    (k) => new Set(SERVICES.map((s) => JSON.stringify(keyFacts(shapes[s]?.[k], places).raw))).size > 1,
  );
  const common: CommonKeys = {
    keys: Object.keys(first),
    own: (s) => Object.fromEntries(varying.map((k) => [k, keyFacts(shapes[s]?.[k], places).default])),
  };
  const out: Target[] = [];
  for (const service of SERVICES) {
    const source = `services/${service}/src/config.ts`;
    const mod = (await import(`../${source}`)) as { configSchema?: { shape: Record<string, unknown> } };
    if (!mod.configSchema?.shape) throw new Error(`${source} exports no configSchema object`);
    const comments = keyComments(join(ROOT, source), "configSchema");
    const rows = Object.entries(mod.configSchema.shape).map(([key, schema]) => ({
      key,
      facts: keyFacts(schema, places),
      description: comments.get(key) ?? null,
    }));
    out.push({ readme: `services/${service}/README.md`, source, rows, note: commonNote(service, common), create: true });
  }
  const busSource = "packages/bus/src/service.ts";
  const busComments = keyComments(join(ROOT, busSource), "commonConfigShape");
  const perService = (key: string) =>
    SERVICES.map((s) => ({ s, facts: keyFacts(shapes[s]?.[key], places) }))
      .sort((a, b) => (a.facts.raw as number) - (b.facts.raw as number) || a.s.localeCompare(b.s))
      .map(({ s, facts }) => `${s} ${facts.default}`)
      .join(", ");
  out.push({
    readme: "packages/bus/README.md",
    source: busSource,
    rows: Object.entries(first).map(([key, schema]) => {
      const facts = keyFacts(schema, places);
      return {
        key,
        facts: varying.includes(key) ? { ...facts, default: perService(key) } : facts,
        description: busComments.get(key) ?? null,
      };
    }),
    note: "",
    create: false,
  });
  return out;
}

/** `markdown` as the repository's biome formats it (`make lint` runs `biome check`, which formats READMEs too). */
export function formatMarkdown(markdown: string): string {
  const biome = join(ROOT, "node_modules/@biomejs/biome/bin/biome");
  const r = spawnSync(process.execPath, [biome, "format", "--stdin-file-path=README.md"], {
    cwd: ROOT,
    input: markdown,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`biome format failed: ${r.stderr || r.stdout}`);
  return r.stdout.replace(/\n+$/, "");
}

/** The README text a target should have, given the current one (null: missing). */
export function expectedReadme(current: string | null, t: Target): string {
  const title = `# ${t.readme.split("/").at(-2) ?? "README"}\n`;
  return spliceBlock(current ?? title, formatMarkdown(configBlock(t.source, t.rows, t.note)));
}

function undocumented(t: Target): string[] {
  return t.rows.filter((r) => r.description === null).map((r) => r.key);
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes("--check");
  const i = argv.indexOf("--root");
  const root = i >= 0 && argv[i + 1] ? resolve(argv[i + 1] as string) : ROOT;
  const stale: string[] = [];
  let undocumentedCount = 0;
  for (const t of await targets()) {
    const file = join(root, t.readme);
    const current = existsSync(file) ? readFileSync(file, "utf8") : null;
    if (current === null && !t.create) continue;
    const expected = expectedReadme(current, t);
    const missing = undocumented(t);
    if (missing.length > 0 && !check)
      console.warn(
        `config-docs: warning: ${t.source}: ${missing.length} of ${t.rows.length} keys have no comment ("—" in the table): ${missing.join(", ")}`,
      );
    undocumentedCount += missing.length;
    if (expected === current) continue;
    if (check) stale.push(file);
    else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, expected);
      console.log(`config-docs: wrote ${relative(process.cwd(), file) || file} (${t.rows.length} keys)`);
    }
  }
  if (!check) return 0;
  if (stale.length === 0) {
    const note = undocumentedCount > 0 ? ` (${undocumentedCount} keys have no comment: run without --check to list them)` : "";
    console.log(`config-docs: every configuration table (service READMEs, packages/bus) is up to date${note}`);
    return 0;
  }
  for (const f of stale)
    console.error(`config-docs: ${relative(process.cwd(), f) || f}: its configuration table differs from the config schema`);
  console.error(`Run \`${FIX}\` and commit the README(s) (the table is generated: change the schema and its comments).`);
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.env.TZ = PROBE_TIME_ZONE;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`config-docs: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(2);
    },
  );
}
