/**
 * The house rules that no linter here knows, checked on every `make lint` (and so in CI):
 *
 * - **floors**: contracts, then the libraries (packages/*), then the services, then the applications (apps/*: the CLI).
 *   Production code may import a workspace of a lower floor; libraries may import each other; a service never imports
 *   another service; nothing imports the tooling (models/, scripts/, deploy/, bench/). Tests and benches may drive any
 *   workspace they declare (a bot test against a real recognizer).
 * - **no deep imports**: a relative import never leaves its workspace; `@persona/x/sub` only through `x`'s exports.
 * - **declared**: a workspace imports another only when its package.json lists it.
 * - **one door to JetStream**: consumers are opened only in packages/bus (`bus.follow`, `bus.replay`, `bus.consume`).
 * - **one writer for the library**: production code builds the LIBRARY events (PersonEnrolled, PersonUpdated,
 *   PersonRemoved, FaceTemplateAdded, FaceTemplateReverted, EnrollmentRejected) only in
 *   packages/library/src/writer.ts; every other writer calls its `LibraryWriter`, so `decide` alone says what may
 *   change a person.
 * - **no god functions**: no production function longer than 120 lines, except those listed in
 *   `scripts/house/baseline.json` (known debt), which may not grow.
 *
 * Usage: `node --import tsx scripts/house/check.ts` (exit 1 and one line per violation), `--json` for a report.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { LIBRARY_EVENT_TYPES } from "@persona/library";
import ts from "typescript";

export interface Workspace {
  /** Folder relative to the root, with forward slashes ("services/bot"). */
  dir: string;
  name: string;
  floor: Floor;
  /** Names this workspace's package.json lists (dependencies, devDependencies, peerDependencies). */
  declared: Set<string>;
  /** Subpaths its package.json exports ("." and "./projections" as "projections"). */
  exports: Set<string>;
}

export type Floor = "contracts" | "library" | "service" | "application" | "web" | "tooling";

const RANK: Record<Floor, number> = { contracts: 0, library: 1, service: 2, application: 3, web: 3, tooling: 4 };

export interface SourceFile {
  /** Relative to the root, forward slashes. */
  path: string;
  text: string;
}

export interface Violation {
  rule: "floors" | "deep-import" | "declared" | "jetstream-door" | "library-writer" | "function-length";
  file: string;
  line: number;
  message: string;
}

export const MAX_FUNCTION_LINES = 120;

/** Where a workspace stands; the CLI is the applications floor. */
export function floorOf(dir: string): Floor {
  if (dir === "contracts") return "contracts";
  if (dir.startsWith("apps/")) return "application";
  if (dir === "web") return "web";
  if (dir.startsWith("packages/")) return "library";
  if (dir.startsWith("services/")) return "service";
  return "tooling";
}

const isTest = (p: string) => /\.test\.tsx?$/.test(p);
/** Production code: not a test, a bench, a test helper folder or tooling. */
export const isProduction = (p: string) =>
  !isTest(p) && !/(^|\/)(bench|bin|testing|test|e2e)\//.test(p) && !/testSupport\.ts$/.test(p) && /(^|\/)src\//.test(p);

function importsOf(text: string): { spec: string; line: number }[] {
  const out: { spec: string; line: number }[] = [];
  const re = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] as string;
    out.push({ spec, line: text.slice(0, m.index).split("\n").length });
  }
  return out;
}

function workspaceOf(path: string, workspaces: readonly Workspace[]): Workspace | undefined {
  return workspaces.find((w) => path === w.dir || path.startsWith(`${w.dir}/`));
}

function checkImports(f: SourceFile, workspaces: readonly Workspace[], out: Violation[]): void {
  const own = workspaceOf(f.path, workspaces);
  const ownFloor: Floor = own?.floor ?? "tooling";
  for (const { spec, line } of importsOf(f.text)) {
    if (spec.startsWith(".")) {
      const target = join(dirname(f.path), spec).split(sep).join("/");
      const to = workspaceOf(target, workspaces);
      if (own !== undefined && to !== own) {
        out.push({
          rule: "deep-import",
          file: f.path,
          line,
          message: `"${spec}" reaches out of ${own.dir} into ${to?.dir ?? target.split("/").slice(0, 2).join("/")}: import the workspace by its package name`,
        });
      }
      continue;
    }
    const m = /^(@persona\/[^/]+)(?:\/(.+))?$/.exec(spec);
    if (m === null) continue;
    const [, name, sub] = m as unknown as [string, string, string | undefined];
    const to = workspaces.find((w) => w.name === name);
    if (to === undefined || to === own) continue;
    if (sub !== undefined && !to.exports.has(sub)) {
      out.push({ rule: "deep-import", file: f.path, line, message: `"${spec}" is not an export of ${name}` });
    }
    if (own !== undefined && !own.declared.has(name)) {
      out.push({
        rule: "declared",
        file: f.path,
        line,
        message: `${own.dir} imports ${name} without listing it in its package.json`,
      });
    }
    const allowed =
      to.floor === "tooling"
        ? ownFloor === "tooling"
        : ownFloor === "tooling" || RANK[to.floor] < RANK[ownFloor] || (to.floor === "library" && ownFloor === "library");
    // a test or a bench may drive other workspaces (a bot test against a real recognizer) when it declares them
    if (!allowed && isProduction(f.path)) {
      out.push({
        rule: "floors",
        file: f.path,
        line,
        message: `a ${ownFloor} (${own?.dir}) may not import the ${to.floor} ${name}`,
      });
    }
  }
}

function checkJetStreamDoor(f: SourceFile, out: Violation[]): void {
  if (f.path.startsWith("packages/bus/")) return;
  const re = /\.consumers\.(get|add)\s*\(/g;
  for (const m of f.text.matchAll(re)) {
    out.push({
      rule: "jetstream-door",
      file: f.path,
      line: f.text.slice(0, m.index).split("\n").length,
      message: `consumers.${m[1]} outside packages/bus: use bus.follow / bus.replay / bus.consume`,
    });
  }
}

/** The one production file that builds LIBRARY events. */
export const LIBRARY_WRITER = "packages/library/src/writer.ts";

function checkLibraryWriter(f: SourceFile, out: Violation[]): void {
  if (f.path === LIBRARY_WRITER || !isProduction(f.path)) return;
  const re = new RegExp(
    `(\\.envelope|\\bmakeEnvelope)\\s*(?:<[^>]*>)?\\(\\s*["'\`](${LIBRARY_EVENT_TYPES.join("|")})["'\`]`,
    "g",
  );
  for (const m of f.text.matchAll(re)) {
    out.push({
      rule: "library-writer",
      file: f.path,
      line: f.text.slice(0, m.index).split("\n").length,
      message: `builds ${m[2]} outside ${LIBRARY_WRITER}: use LibraryWriter.execute (@persona/library)`,
    });
  }
}

export interface FunctionSize {
  file: string;
  name: string;
  line: number;
  lines: number;
}

/** Every function (declarations, methods, arrows, function expressions) with its length in lines. */
export function functionSizes(f: SourceFile): FunctionSize[] {
  const sf = ts.createSourceFile(
    f.path,
    f.text,
    ts.ScriptTarget.Latest,
    true,
    f.path.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const out: FunctionSize[] = [];
  const visit = (node: ts.Node, owner: string) => {
    let name = owner;
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      name = nameOf(node, owner);
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ file: f.path, name, line: start + 1, lines: end - start + 1 });
    } else if (ts.isClassDeclaration(node) && node.name) name = node.name.text;
    ts.forEachChild(node, (c) => visit(c, name));
  };
  visit(sf, "");
  return out;
}

function nameOf(node: ts.SignatureDeclaration, owner: string): string {
  const own =
    node.name !== undefined && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))
      ? node.name.text
      : ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)
        ? node.parent.name.text
        : ts.isPropertyAssignment(node.parent) && ts.isIdentifier(node.parent.name)
          ? node.parent.name.text
          : "(anonymous)";
  return owner === "" ? own : `${owner}.${own}`;
}

/** Known long functions: `file#name` -> the most lines it may have. */
export type Baseline = Record<string, number>;

function checkFunctionLengths(f: SourceFile, baseline: Baseline, out: Violation[]): void {
  if (!isProduction(f.path)) return;
  for (const fn of functionSizes(f)) {
    if (fn.lines <= MAX_FUNCTION_LINES) continue;
    const known = baseline[`${fn.file}#${fn.name}`];
    if (known !== undefined && fn.lines <= known) continue;
    out.push({
      rule: "function-length",
      file: f.path,
      line: fn.line,
      message:
        known === undefined
          ? `${fn.name} has ${fn.lines} lines (at most ${MAX_FUNCTION_LINES}): split it`
          : `${fn.name} grew to ${fn.lines} lines (known debt: ${known}): split it instead`,
    });
  }
}

export function checkHouse(files: readonly SourceFile[], workspaces: readonly Workspace[], baseline: Baseline): Violation[] {
  const out: Violation[] = [];
  for (const f of files) {
    checkImports(f, workspaces, out);
    checkJetStreamDoor(f, out);
    checkLibraryWriter(f, out);
    checkFunctionLengths(f, baseline, out);
  }
  return out;
}

// ---- reading the repository

const SKIP = new Set(["node_modules", ".git", "data", "dist", ".cache", "artifacts"]);

function walk(root: string, dir: string, out: string[]): void {
  for (const name of readdirSync(join(root, dir))) {
    if (SKIP.has(name)) continue;
    const p = dir === "" ? name : `${dir}/${name}`;
    if (statSync(join(root, p)).isDirectory()) walk(root, p, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
}

export function readWorkspaces(root: string): Workspace[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] };
  const dirs: string[] = [];
  for (const w of pkg.workspaces) {
    if (w.endsWith("/*")) {
      const base = w.slice(0, -2);
      for (const d of readdirSync(join(root, base))) {
        if (statSync(join(root, base, d)).isDirectory()) dirs.push(`${base}/${d}`);
      }
    } else dirs.push(w);
  }
  const out: Workspace[] = [];
  for (const dir of dirs) {
    let p: { name: string; exports?: unknown; dependencies?: object; devDependencies?: object; peerDependencies?: object };
    try {
      p = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
    } catch {
      continue;
    }
    const exports = new Set<string>();
    if (typeof p.exports === "object" && p.exports !== null) {
      for (const k of Object.keys(p.exports)) exports.add(k === "." ? "" : k.replace(/^\.\//, ""));
    }
    const declared = new Set([
      ...Object.keys(p.dependencies ?? {}),
      ...Object.keys(p.devDependencies ?? {}),
      ...Object.keys(p.peerDependencies ?? {}),
    ]);
    out.push({ dir, name: p.name, floor: floorOf(dir), declared, exports });
  }
  return out;
}

function main(): void {
  const root = resolve(new URL("../..", import.meta.url).pathname);
  const paths: string[] = [];
  walk(root, "", paths);
  const files = paths.map((p) => ({ path: p, text: readFileSync(join(root, p), "utf8") }));
  const baseline = JSON.parse(readFileSync(join(root, "scripts/house/baseline.json"), "utf8")) as Baseline;
  const violations = checkHouse(files, readWorkspaces(root), baseline);
  if (process.argv.includes("--sizes")) {
    const long = files
      .filter((f) => isProduction(f.path))
      .flatMap((f) => functionSizes(f))
      .filter((s) => s.lines > MAX_FUNCTION_LINES)
      .sort((a, b) => b.lines - a.lines);
    for (const s of long) console.log(`${s.lines}\t${s.file}#${s.name}`);
    return;
  }
  for (const v of violations) console.error(`${v.file}:${v.line}: [${v.rule}] ${v.message}`);
  const debt = Object.keys(baseline).length;
  if (violations.length > 0) {
    console.error(`house: ${violations.length} violation(s) in ${files.length} files`);
    process.exit(1);
  }
  console.log(`house: ok (${files.length} files; ${debt} long function(s) of known debt in scripts/house/baseline.json)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
