import { timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response, Router } from "express";
import { z } from "zod";
import type { Session } from "../auth/sessions.ts";
import { ApiError, ErrorBody, badRequest, forbidden } from "./errors.ts";

/**
 * A small typed route registry: each route declares its role, its zod schemas (params, query, body, responses) and
 * a handler. The registry validates requests and JSON responses, checks the role and CSRF token, and is the source
 * of the OpenAPI 3.1 document (so a route cannot exist without appearing in it).
 */

export type Role = "viewer" | "operator" | "admin";
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
export const hasRole = (have: Role, need: Role) => RANK[have] >= RANK[need];

export type Method = "get" | "post" | "put" | "patch" | "delete";

export interface Upload {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

export interface Ctx<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The logged-in session; null only on public routes. */
  session: Session | null;
  files: Upload[];
  req: Request;
  res: Response;
}

/** A handler answers JSON `{ status, body }` (validated against `responses[status]`) or writes `res` itself (null). */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | null;

export interface RouteDef<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** Express path under /api/v1, e.g. "/people/:personId". */
  path: string;
  summary: string;
  tag: string;
  /** Least role allowed; "public" needs no session (login only). */
  role: Role | "public";
  params?: P;
  query?: Q;
  body?: B;
  /** multipart/form-data: the text fields are validated with `body`; files by field name. */
  multipart?: { files: { name: string; maxCount: number; description: string }[] };
  /** Status -> JSON schema, or a content type for non-JSON answers. */
  responses: Record<number, z.ZodType | { contentType: string; description: string }>;
  handler: (ctx: Ctx<z.output<P>, z.output<Q>, z.output<B>>) => Promise<Reply>;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of routes
type AnyRoute = RouteDef<any, any, any>;

export interface ApiDeps {
  /**
   * Resolves the session of a request (an API key's bearer token, else the cookie), null when not logged in; throws
   * an ApiError for a bearer token that is no usable key (401) or from a locked client (429).
   */
  session(req: Request, res: Response): Promise<Session | null>;
  /** Multer-like middleware for a multipart route. */
  upload(files: { name: string; maxCount: number }[]): RequestHandler;
  log: { error: (o: object, m: string) => void; warn: (o: object, m: string) => void };
}

const STATE_CHANGING = new Set<Method>(["post", "put", "patch", "delete"]);

export class Api {
  readonly routes: AnyRoute[] = [];

  add<P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown>(
    def: RouteDef<P, Q, B>,
  ): void {
    this.routes.push(def as AnyRoute);
  }

  mount(router: Router, deps: ApiDeps): void {
    for (const r of this.routes) {
      const chain: RequestHandler[] = [];
      chain.push(async (req, res, next) => {
        try {
          const session = await deps.session(req, res);
          res.locals.session = session;
          if (r.role !== "public") {
            if (session === null) throw new ApiError(401, "unauthenticated", "log in first");
            if (!hasRole(session.role, r.role)) throw forbidden(`needs the ${r.role} role (you are ${session.role})`);
            // an API key comes in a header a browser never adds by itself: no cookie, so no cross-site request to guard
            const viaCookie = session.apiKeyId === undefined;
            if (viaCookie && STATE_CHANGING.has(r.method) && !sameToken(req.get("x-csrf-token"), session.csrfToken)) {
              throw new ApiError(403, "csrf", "missing or wrong x-csrf-token header");
            }
          }
          next();
        } catch (err) {
          next(err);
        }
      });
      if (r.multipart) chain.push(deps.upload(r.multipart.files));
      chain.push(async (req: Request, res: Response, next: NextFunction) => {
        try {
          const params = parse(r.params, req.params, "path parameters");
          const query = parse(r.query, { ...req.query }, "query");
          if (r.body && !r.multipart && STATE_CHANGING.has(r.method)) requireJsonBody(req, r.method === "put");
          const body = parse(r.body, req.body ?? {}, "body");
          const files = ((Array.isArray(req.files) ? req.files : Object.values(req.files ?? {}).flat()) as Upload[]) ?? [];
          const reply = await r.handler({ params, query, body, session: res.locals.session ?? null, files, req, res });
          if (reply === null) return;
          const schema = r.responses[reply.status];
          let out = reply.body;
          if (schema instanceof z.ZodType) {
            const checked = schema.safeParse(out);
            if (!checked.success) {
              deps.log.error(
                { route: `${r.method} ${r.path}`, issues: checked.error.issues },
                "response does not match its schema",
              );
              throw new ApiError(500, "internal", "the response did not match its schema");
            }
            out = checked.data;
          }
          for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
          if (out === undefined) res.status(reply.status).end();
          else res.status(reply.status).json(out);
        } catch (err) {
          next(err);
        }
      });
      router[r.method](r.path, ...chain);
    }
  }

  /**
   * The OpenAPI 3.1 document of every registered route. The answers' schemas registered in `o.components` are
   * `components.schemas` (every one of them, used or not) and `$ref`s where used; `o.live` documents the socket.io
   * events (name -> payload) as `x-live-events`.
   */
  openapi(
    info: { title: string; version: string },
    o: { components?: z.core.$ZodRegistry<{ id?: string }>; live?: Record<string, z.ZodType> } = {},
  ): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    const registry = o.components;
    const js = (s: z.ZodType, io: "input" | "output") => {
      const params = { io, unrepresentable: "any", target: "draft-2020-12" } as const;
      // inputs stay inline: a request's schema differs from the answer's where defaults and transforms apply
      if (!registry || io === "input") return z.toJSONSchema(s, params) as Record<string, unknown>;
      return toComponentRefs(z.toJSONSchema(s, { ...params, metadata: registry }) as Record<string, unknown>);
    };
    for (const r of this.routes) {
      const p = `/api/v1${r.path.replace(/[:*]([A-Za-z0-9_]+)/g, "{$1}")}`;
      const op: Record<string, unknown> = {
        operationId: `${r.method}${r.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
        summary: r.summary,
        tags: [r.tag],
        "x-role": r.role,
      };
      const parameters: unknown[] = [];
      for (const [where, s] of [
        ["path", r.params],
        ["query", r.query],
      ] as const) {
        if (!s) continue;
        const schema = js(s, "input") as { properties?: Record<string, unknown>; required?: string[] };
        for (const [name, prop] of Object.entries(schema.properties ?? {})) {
          parameters.push({
            name,
            in: where,
            required: where === "path" || (schema.required ?? []).includes(name),
            schema: prop,
          });
        }
      }
      if (parameters.length > 0) op.parameters = parameters;
      if (r.multipart) {
        const fields = r.body ? (js(r.body, "input") as { properties?: Record<string, unknown>; required?: string[] }) : {};
        const properties: Record<string, unknown> = { ...(fields.properties ?? {}) };
        for (const f of r.multipart.files) {
          properties[f.name] =
            f.maxCount > 1
              ? { type: "array", maxItems: f.maxCount, items: { type: "string", format: "binary" }, description: f.description }
              : { type: "string", format: "binary", description: f.description };
        }
        op.requestBody = {
          required: true,
          content: { "multipart/form-data": { schema: { type: "object", properties, required: fields.required ?? [] } } },
        };
      } else if (r.body) {
        op.requestBody = { required: true, content: { "application/json": { schema: js(r.body, "input") } } };
      }
      const responses: Record<string, unknown> = {};
      for (const [status, s] of Object.entries(r.responses)) {
        if (s instanceof z.ZodType)
          responses[status] = { description: `HTTP ${status}`, content: { "application/json": { schema: js(s, "output") } } };
        else
          responses[status] = {
            description: s.description,
            content: { [s.contentType]: { schema: { type: "string", format: "binary" } } },
          };
      }
      const errorSchema = js(ErrorBody, "output");
      for (const status of r.role === "public" ? ["400", "429"] : ["400", "401", "403"]) {
        responses[status] ??= { description: `error ${status}`, content: { "application/json": { schema: errorSchema } } };
      }
      op.responses = responses;
      paths[p] ??= {};
      (paths[p] as Record<string, unknown>)[r.method] = op;
    }
    const schemas: Record<string, unknown> = {};
    if (registry) {
      const all = z.toJSONSchema(registry, {
        metadata: registry,
        io: "output",
        unrepresentable: "any",
        target: "draft-2020-12",
        uri: (id) => `#/components/schemas/${id}`,
      });
      for (const [id, s] of Object.entries(all.schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const { $schema: _s, $id: _i, ...rest } = s as Record<string, unknown>;
        schemas[id] = rest;
      }
    }
    const live: Record<string, unknown> = {};
    for (const [event, s] of Object.entries(o.live ?? {})) {
      const { $schema: _s, ...payload } = js(s, "output");
      live[event] = { payload };
    }
    return {
      openapi: "3.1.0",
      info,
      servers: [{ url: "/" }],
      ...(o.live ? { "x-live-events": live } : {}),
      components: {
        ...(registry ? { schemas } : {}),
        securitySchemes: {
          session: { type: "apiKey", in: "cookie", name: "persona_sid" },
          csrf: { type: "apiKey", in: "header", name: "x-csrf-token" },
          apiKey: {
            type: "http",
            scheme: "bearer",
            description: "An API key (POST /api/v1/api-keys) with its role; no CSRF token needed.",
          },
        },
      },
      security: [{ session: [], csrf: [] }, { apiKey: [] }],
      paths,
    };
  }
}

/** A schema converted with the components registry: its `$defs` are the components, so they become `$ref`s to them. */
function toComponentRefs(schema: Record<string, unknown>): Record<string, unknown> {
  const { $defs: _defs, ...rest } = schema;
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v === null || typeof v !== "object") return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = k === "$ref" && typeof x === "string" ? x.replace(/^#\/\$defs\//, "#/components/schemas/") : rewrite(x);
    }
    return out;
  };
  return rewrite(rest) as Record<string, unknown>;
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function parse<S extends z.ZodType | undefined>(schema: S, value: unknown, what: string): unknown {
  if (schema === undefined) return value;
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(`invalid ${what}: ${z.prettifyError(r.error)}`, r.error.issues);
  return r.data;
}

/**
 * A JSON route's body must be JSON: a body of another type would be ignored and parse as `{}`, and a PUT without a
 * body would replace the resource with the schema's defaults (PUT /rules with an empty or text/plain body deleted every
 * alert rule). A POST may come without a body where its schema has defaults (acknowledging an alert).
 */
function requireJsonBody(req: Request, bodyRequired: boolean): void {
  const length = Number(req.get("content-length") ?? "0");
  const chunked = req.get("transfer-encoding") !== undefined;
  if (length === 0 && !chunked) {
    if (bodyRequired) throw new ApiError(400, "validation", "the request has no body: send the new value as JSON");
    return;
  }
  if (!req.is("application/json")) {
    throw new ApiError(
      415,
      "unsupported-media-type",
      `send JSON (Content-Type: application/json), not ${req.get("content-type") ?? "no type"}`,
    );
  }
}
