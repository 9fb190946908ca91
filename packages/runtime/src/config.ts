import { join } from "node:path";
import { z } from "zod";
import { dataDir } from "./paths.ts";

/** Thrown when the environment does not satisfy a service's config schema; the message lists every problem. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Keys whose values are never printed. */
const SECRET_KEY = /(PASSWORD|TOKEN|SECRET|KEY|CREDENTIAL)/i;

/**
 * Parses the environment with a strict zod object schema whose keys are environment variable names.
 * Unknown variables that share the service's prefix are rejected (typos are caught, not ignored).
 */
/**
 * Settings whose default lives in the data folder (`PERSONA_DATA_DIR`, default `<repo>/data`, see paths.ts): a
 * service started from any working directory, or a test that sets PERSONA_DATA_DIR, never writes to `./data`.
 */
/** `sqlite:<PERSONA_DATA_DIR>/persona.db`: the store every service shares on one machine. */
export const defaultStoreUrl = (env: NodeJS.ProcessEnv = process.env): string => `sqlite:${join(dataDir(env), "persona.db")}`;

export const DATA_DIR_DEFAULTS: Readonly<Record<string, (env: NodeJS.ProcessEnv) => string>> = {
  STORE_URL: defaultStoreUrl,
  TRAINER_DATA_DIR: (env) => join(dataDir(env), "trainer"),
  PERSONA_DATA_DIR: (env) => dataDir(env),
};

export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  options: { knownPrefixes?: string[] } = {},
): z.infer<S> {
  const keys = Object.keys(schema.shape);
  const picked: Record<string, string> = {};
  for (const k of keys) {
    const v = env[k];
    if (v !== undefined && v !== "") picked[k] = v;
    else if (DATA_DIR_DEFAULTS[k]) picked[k] = DATA_DIR_DEFAULTS[k](env);
  }
  const issues: string[] = [];
  for (const prefix of options.knownPrefixes ?? []) {
    for (const k of Object.keys(env)) {
      if (k.startsWith(prefix) && !keys.includes(k))
        issues.push(`${k}: unknown setting (known: ${keys.filter((x) => x.startsWith(prefix)).join(", ")})`);
    }
  }
  const result = schema.safeParse(picked);
  if (!result.success) {
    for (const issue of result.error.issues) issues.push(`${issue.path.join(".")}: ${issue.message}`);
  }
  if (issues.length > 0 || !result.success) {
    throw new ConfigError(`invalid configuration:\n  ${issues.join("\n  ")}`, issues);
  }
  return result.data;
}

/** A copy of the config fit for logs: secret-looking keys are replaced, URLs lose their passwords. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (SECRET_KEY.test(k) && v !== undefined && v !== "") out[k] = "[redacted]";
    else if (typeof v === "string" && /^[a-z+]+:\/\/[^/]*:[^@/]*@/i.test(v))
      out[k] = v.replace(/:\/\/([^:/]*):[^@/]*@/, "://$1:[redacted]@");
    else out[k] = v;
  }
  return out;
}

/** Common zod helpers for environment values. */
export const env = {
  int: (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def),
  num: (def: number, min = -Infinity, max = Infinity) => z.coerce.number().min(min).max(max).default(def),
  bool: (def: boolean) =>
    z
      .enum(["true", "false", "1", "0", "yes", "no"])
      .default(def ? "true" : "false")
      .transform((v) => v === "true" || v === "1" || v === "yes"),
  str: (def: string) => z.string().default(def),
  port: (def: number) => z.coerce.number().int().min(0).max(65535).default(def),
  url: (def: string) =>
    z
      .string()
      .regex(/^[a-z][a-z0-9+.-]*:/i, "must be a URL")
      .default(def),
};
