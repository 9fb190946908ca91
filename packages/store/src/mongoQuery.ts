import type { Condition, FindPlan } from "./query.ts";

/** Compiles checked conditions to a MongoDB filter; `id` is stored as `_id`. Pure, so it is unit-tested without a server. */

export type MongoFilter = Record<string, Record<string, unknown>>;

export function mongoPath(path: string): string {
  return path === "id" ? "_id" : path;
}

/** Escapes a literal for a regular expression (MongoDB's PCRE and JavaScript agree on these). */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

export function compileMongoFilter(conditions: Condition[]): MongoFilter {
  const filter: MongoFilter = {};
  for (const c of conditions) {
    const key = mongoPath(c.path);
    const ops = filter[key] ?? {};
    filter[key] = ops;
    switch (c.op) {
      case "eq":
      case "ne":
      case "gt":
      case "gte":
      case "lt":
      case "lte":
      case "exists":
        ops[`$${c.op}`] = c.value;
        break;
      case "in":
        ops.$in = c.values;
        break;
      case "contains":
        ops.$regex = escapeRegex(c.value);
        ops.$options = "i";
        break;
      case "has":
        ops.$elemMatch = { $eq: c.value };
        break;
      default: {
        const never: never = c;
        throw new Error(`unhandled condition ${JSON.stringify(never)}`);
      }
    }
  }
  return filter;
}

/** The sort spec with `_id` as the final tie-breaker, so paging is stable (SQLite orders by id the same way). */
export function compileMongoSort(plan: FindPlan): Record<string, 1 | -1> {
  const sort: Record<string, 1 | -1> = {};
  for (const [path, dir] of plan.sort) sort[mongoPath(path)] = dir;
  if (!("_id" in sort)) sort._id = 1;
  return sort;
}

/** Unique indexes skip documents missing a field, as SQLite's (NULLs are distinct there) do. */
export function compileMongoIndex(fields: string[], unique: boolean) {
  const key: Record<string, 1> = {};
  for (const f of fields) key[mongoPath(f)] = 1;
  const name = `${unique ? "ux" : "ix"}_${fields.join("_")}`;
  if (!unique) return { key, options: { name } };
  const partialFilterExpression: Record<string, { $exists: true }> = {};
  for (const f of fields) if (f !== "id") partialFilterExpression[f] = { $exists: true };
  return {
    key,
    options:
      Object.keys(partialFilterExpression).length > 0 ? { name, unique: true, partialFilterExpression } : { name, unique: true },
  };
}
