// Dockerfile helpers for deploy/test: a parser into stages and instructions, the .dockerignore matcher, and the
// workspace packages a service's sources import.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export const ROOT = new URL("../../", import.meta.url).pathname;

export interface Instruction {
  op: string;
  args: string;
  line: number;
}
export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile -> stages (continuations joined, comments and parser directives dropped). */
export function parseDockerfile(text: string): { stages: Stage[]; global: Instruction[] } {
  const stages: Stage[] = [];
  const global: Instruction[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let l = lines[i] ?? "";
    if (/^\s*(#|$)/.test(l)) continue;
    while (/\\\s*$/.test(l) && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? "";
      if (/^\s*#/.test(next)) continue;
      l = `${l.replace(/\\\s*$/, "")} ${next.trim()}`;
    }
    const m = l.trim().match(/^(\S+)\s+(.*)$/);
    if (!m) throw new Error(`line ${start}: cannot parse "${l}"`);
    const ins = { op: (m[1] ?? "").toUpperCase(), args: (m[2] ?? "").trim(), line: start };
    if (ins.op === "FROM") {
      const f = ins.args.match(/^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i);
      if (!f) throw new Error(`line ${start}: bad FROM`);
      stages.push({ from: f[1] ?? "", ...(f[2] ? { name: f[2] } : {}), instructions: [] });
    } else if (stages.length === 0) global.push(ins);
    else stages[stages.length - 1]?.instructions.push(ins);
  }
  return { stages, global };
}

/** `.dockerignore` patterns -> a matcher of repo-relative paths (`**`, `*`, exact prefixes). */
export function dockerignore(): (path: string) => boolean {
  const patterns = readFileSync(join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const regexes = patterns.map((p) => {
    const re = p
      .replace(/[.+^${}()|[\]]/g, "\\$&")
      .replace(/\*\*\//g, "(.*/)?")
      .replace(/(?<!\.)\*/g, "[^/]*");
    return new RegExp(`^${re}(/.*)?$`);
  });
  return (path) => regexes.some((r) => r.test(path));
}

/** Workspace packages (`@persona/x` -> its folder) imported by the non-test sources under `dir`, transitively. */
export function workspaceClosure(dir: string): Set<string> {
  const folders = new Map<string, string>();
  for (const parent of ["packages", "services", "apps"]) {
    for (const d of readdirSync(join(ROOT, parent))) {
      const pj = join(ROOT, parent, d, "package.json");
      if (existsSync(pj)) folders.set((JSON.parse(readFileSync(pj, "utf8")) as { name: string }).name, `${parent}/${d}`);
    }
  }
  folders.set("@persona/contracts", "contracts");
  const seen = new Set<string>();
  const visit = (folder: string) => {
    if (seen.has(folder)) return;
    seen.add(folder);
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) => {
        const p = join(d, n);
        // test support (as the house check reads it): a folder the service's main never loads
        if (statSync(p).isDirectory()) return n === "test-support" || n === "test" || n === "testing" ? [] : walk(p);
        return n.endsWith(".ts") && !/\.test\.ts$|testSupport\.ts$/.test(n) ? [p] : [];
      });
    for (const file of walk(join(ROOT, folder, "src"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/from\s+"(@persona\/[a-z-]+)/g)) {
        const f = folders.get(m[1] ?? "");
        if (f) visit(f);
      }
    }
  };
  visit(dir);
  return seen;
}
