import { z } from "zod";
import { StoreValidationError } from "./errors.ts";
import { openMongoStore } from "./mongo.ts";
import { openSqliteStore } from "./sqlite.ts";
import type { DocumentStore } from "./types.ts";

/**
 * Chooses the adapter from one URL:
 *   sqlite:./data/persona.db   a file, relative to the working directory (its directory is created)
 *   sqlite:/abs/path.db        an absolute path (sqlite:///abs/path.db too)
 *   sqlite::memory:            a private in-memory database (tests)
 *   mongodb://... / mongodb+srv://...
 */

export const DEFAULT_STORE_URL = "sqlite:./data/persona.db";

const WriteConcern = z.union([z.literal("majority"), z.number().int().min(0)]);

export const StoreConfig = z.strictObject({
  url: z.string().min(1).default(DEFAULT_STORE_URL),
  /** MongoDB only. */
  database: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, "a MongoDB database name of letters, digits, '_' and '-'")
    .default("persona"),
  /** MongoDB only: `w` for writes and transaction commits. */
  writeConcern: WriteConcern.default("majority"),
  /** SQLite only: how long a writer waits for another process's lock. */
  busyTimeoutMs: z.number().int().min(0).default(5000),
});
export type StoreConfig = z.infer<typeof StoreConfig>;
export type StoreConfigInput = z.input<typeof StoreConfig>;

export type StoreTarget = { kind: "sqlite"; path: string } | { kind: "mongodb"; url: string };

export function parseStoreUrl(url: string): StoreTarget {
  if (url.startsWith("sqlite:")) {
    let path = url.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2);
    if (path.length === 0) throw new StoreValidationError(`store url ${JSON.stringify(url)} names no file`);
    return { kind: "sqlite", path };
  }
  if (/^mongodb(\+srv)?:\/\/./.test(url)) return { kind: "mongodb", url };
  throw new StoreValidationError(
    `unsupported store url ${JSON.stringify(redactStoreUrl(url))}: expected sqlite:<path>, sqlite::memory: or mongodb://...`,
  );
}

/** The URL with any password masked, for logs. */
export function redactStoreUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}

export async function openStore(config: StoreConfigInput): Promise<DocumentStore> {
  const parsed = StoreConfig.safeParse(config);
  if (!parsed.success)
    throw new StoreValidationError(`invalid store config: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  const { url, database, writeConcern, busyTimeoutMs } = parsed.data;
  const target = parseStoreUrl(url);
  return target.kind === "sqlite"
    ? openSqliteStore({ path: target.path, busyTimeoutMs })
    : openMongoStore({ url: target.url, database, writeConcern });
}

function envNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value))
    throw new StoreValidationError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * Reads STORE_URL (default sqlite:./data/persona.db), MONGODB_DATABASE (default persona), MONGODB_WRITE_CONCERN
 * ("majority" or a number, default majority) and STORE_BUSY_TIMEOUT_MS (default 5000). Fails fast on bad values.
 */
export function storeConfigFromEnv(env: Record<string, string | undefined> = process.env): StoreConfig {
  const blank = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim());
  const w = blank(env.MONGODB_WRITE_CONCERN);
  const parsed = StoreConfig.safeParse({
    url: blank(env.STORE_URL),
    database: blank(env.MONGODB_DATABASE),
    writeConcern: w === undefined || w === "majority" ? w : envNumber("MONGODB_WRITE_CONCERN", w),
    busyTimeoutMs: envNumber("STORE_BUSY_TIMEOUT_MS", blank(env.STORE_BUSY_TIMEOUT_MS)),
  });
  if (!parsed.success)
    throw new StoreValidationError(`invalid store environment: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  parseStoreUrl(parsed.data.url);
  return parsed.data;
}
