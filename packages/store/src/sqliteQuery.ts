import type { Condition, FindPlan } from "./query.ts";
import type { Scalar } from "./types.ts";

/**
 * Compiles checked conditions to SQLite SQL over `json_extract(doc, '$.path')`. Paths are inlined (they passed the
 * strict name check, and an expression index is only used when the query spells the same expression); values are
 * always bound. Every comparison also checks `json_type`, so a number never equals a string or a boolean (MongoDB's
 * type bracketing), and `NULL` (missing or JSON null) behaves as MongoDB's null does.
 */

export type SqlParam = string | number | null;

/** The SQL function that folds case for `$contains` (SQLite's own lower() only folds ASCII without ICU). */
export const CASEFOLD_FUNCTION = "persona_casefold";

export function casefold(value: string): string {
  return value.toLowerCase();
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

interface Operand {
  /** SQL expression of the value. */
  v: string;
  /** SQL expression of its JSON type name ('text', 'integer', 'real', 'true', 'false', 'null', 'array', 'object'), NULL when missing. */
  t: string;
}

export function valueExpr(path: string): string {
  return path === "id" ? `"id"` : `json_extract(doc, '$.${path}')`;
}

function operand(path: string): Operand {
  return path === "id" ? { v: `"id"`, t: `'text'` } : { v: valueExpr(path), t: `json_type(doc, '$.${path}')` };
}

const NUMBER_TYPES = `('integer', 'real')`;

function eq(o: Operand, value: Scalar, params: SqlParam[]): string {
  if (value === null) return `${o.v} IS NULL`;
  if (typeof value === "boolean") return `(${o.v} = ${value ? 1 : 0} AND ${o.t} = '${value ? "true" : "false"}')`;
  params.push(value);
  return typeof value === "number" ? `(${o.v} = ? AND ${o.t} IN ${NUMBER_TYPES})` : `(${o.v} = ? AND ${o.t} = 'text')`;
}

function inList(o: Operand, values: Scalar[], params: SqlParam[]): string {
  const strings = values.filter((v): v is string => typeof v === "string");
  const numbers = values.filter((v): v is number => typeof v === "number");
  const parts: string[] = [];
  if (strings.length > 0) {
    params.push(...strings);
    parts.push(`(${o.v} IN (${strings.map(() => "?").join(", ")}) AND ${o.t} = 'text')`);
  }
  if (numbers.length > 0) {
    params.push(...numbers);
    parts.push(`(${o.v} IN (${numbers.map(() => "?").join(", ")}) AND ${o.t} IN ${NUMBER_TYPES})`);
  }
  if (values.includes(true)) parts.push(eq(o, true, params));
  if (values.includes(false)) parts.push(eq(o, false, params));
  if (values.includes(null)) parts.push(eq(o, null, params));
  if (parts.length === 0) return "0";
  return parts.length === 1 ? (parts[0] ?? "0") : `(${parts.join(" OR ")})`;
}

const RANGE_SQL = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

function condition(c: Condition, params: SqlParam[]): string {
  const o = operand(c.path);
  switch (c.op) {
    case "eq":
      return eq(o, c.value, params);
    case "ne":
      // NOT over a possibly-NULL predicate would drop missing fields; MongoDB's $ne keeps them.
      return c.value === null ? `${o.v} IS NOT NULL` : `NOT COALESCE(${eq(o, c.value, params)}, 0)`;
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      params.push(c.value);
      return `(${o.v} ${RANGE_SQL[c.op]} ? AND ${o.t} ${typeof c.value === "number" ? `IN ${NUMBER_TYPES}` : "= 'text'"})`;
    case "in":
      return inList(o, c.values, params);
    case "contains":
      params.push(casefold(c.value));
      return `(${o.t} = 'text' AND instr(${CASEFOLD_FUNCTION}(${o.v}), ?) > 0)`;
    case "exists":
      return c.value ? `${o.t} IS NOT NULL` : `${o.t} IS NULL`;
    case "has": {
      if (c.path === "id") return "0";
      const element = eq({ v: "e.value", t: "e.type" }, c.value, params);
      return `(${o.t} = 'array' AND EXISTS (SELECT 1 FROM json_each(doc, '$.${c.path}') AS e WHERE ${element}))`;
    }
    default: {
      const never: never = c;
      throw new Error(`unhandled condition ${JSON.stringify(never)}`);
    }
  }
}

export interface Sql {
  sql: string;
  params: SqlParam[];
}

export function compileWhere(conditions: Condition[]): Sql {
  const params: SqlParam[] = [];
  if (conditions.length === 0) return { sql: "", params };
  return { sql: ` WHERE ${conditions.map((c) => condition(c, params)).join(" AND ")}`, params };
}

export function compileFind(table: string, plan: FindPlan): Sql {
  const where = compileWhere(plan.conditions);
  const order = plan.sort.map(([path, dir]) => `${valueExpr(path)} ${dir === 1 ? "ASC" : "DESC"}`);
  if (!plan.sort.some(([path]) => path === "id")) order.push(`"id" ASC`);
  const params = [...where.params];
  let sql = `SELECT doc FROM ${quoteIdent(table)}${where.sql} ORDER BY ${order.join(", ")}`;
  if (plan.limit !== undefined || plan.skip > 0) {
    sql += " LIMIT ? OFFSET ?";
    params.push(plan.limit ?? -1, plan.skip);
  }
  return { sql, params };
}

export function compileCount(table: string, conditions: Condition[]): Sql {
  const where = compileWhere(conditions);
  return { sql: `SELECT count(*) AS n FROM ${quoteIdent(table)}${where.sql}`, params: where.params };
}

export function compileDeleteMany(table: string, conditions: Condition[]): Sql {
  const where = compileWhere(conditions);
  return { sql: `DELETE FROM ${quoteIdent(table)}${where.sql}`, params: where.params };
}

export function indexName(table: string, fields: string[], unique: boolean): string {
  return `${unique ? "ux" : "ix"}_${table}(${fields.join(",")})`;
}

export function compileCreateIndex(table: string, fields: string[], unique: boolean): string {
  return `CREATE ${unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${quoteIdent(indexName(table, fields, unique))} ON ${quoteIdent(table)} (${fields.map(valueExpr).join(", ")})`;
}
