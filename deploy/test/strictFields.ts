// Unknown-field check for Kubernetes objects: kubernetes-models' validate() accepts fields the API does not know (its
// JSON schemas allow additional properties), so a typo such as `readinesProbe` would pass. The API server would drop
// it silently too (or refuse it with --validate=strict). This walks an object along the model's TypeScript
// declarations (kubernetes-models/**/X.d.ts: one interface per type, its fields and their types) and reports every
// key the declared type does not have.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const NODE_MODULES = new URL("../../node_modules/", import.meta.url).pathname;

interface TypeInfo {
  fields: Map<string, string | undefined>; // field -> the d.ts file of its object type (undefined: scalar, map, alias)
}

const cache = new Map<string, TypeInfo | undefined>();

/** Fields of the interface declared in a kubernetes-models .d.ts file; undefined when it declares no interface. */
function typeInfo(file: string): TypeInfo | undefined {
  if (cache.has(file)) return cache.get(file);
  let info: TypeInfo | undefined;
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    const imports = new Map<string, string>();
    for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
      const spec = m[2] ?? "";
      imports.set(m[1] ?? "", spec.startsWith(".") ? resolve(dirname(file), `${spec}.d.ts`) : join(NODE_MODULES, `${spec}.d.ts`));
    }
    const body = text.match(/^export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}$/m)?.[1];
    if (body !== undefined) {
      info = { fields: new Map() };
      for (const m of body.matchAll(/^ {4}"([^"]+)"\??: (.*?);?$/gm)) {
        const type = (m[2] ?? "").trim();
        const named = type.match(/^(?:Array<)?(I\w+)>?$/)?.[1];
        info.fields.set(m[1] ?? "", named ? imports.get(named) : undefined);
      }
    }
  }
  cache.set(file, info);
  return info;
}

/** The .d.ts of the model for apiVersion + kind, or undefined. */
export function modelDeclaration(apiVersion: string, kind: string): string | undefined {
  const [g, v] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const file = join(NODE_MODULES, "kubernetes-models", g ? `${g}/${v}` : `${v}`, `${kind}.d.ts`);
  return existsSync(file) ? file : undefined;
}

/** Paths of every field of `value` that its declared type does not have. */
export function unknownFields(value: unknown, declaration: string, path = ""): string[] {
  const info = typeInfo(declaration);
  if (!info) return [];
  const out: string[] = [];
  const visit = (v: unknown, file: string | undefined, p: string) => {
    if (file === undefined || v === null || typeof v !== "object") return;
    if (!Array.isArray(v)) {
      out.push(...unknownFields(v, file, p));
      return;
    }
    for (const [i, x] of v.entries()) visit(x, file, `${p}[${i}]`);
  };
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (!info.fields.has(k)) out.push(p);
    else visit(v, info.fields.get(k), p);
  }
  return out;
}
