import { UserRole } from "@persona/store";
import { z } from "zod";
import type { ApiKeyDoc } from "../auth/apiKeys.ts";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { badRequest, notFound } from "../http/errors.ts";
import { ApiKey, ApiKeyUse, CreatedApiKey, items, limit } from "../http/schemas.ts";

const KeyParams = z.object({ id: z.uuid() });

const apiKeyOf = (k: ApiKeyDoc): z.infer<typeof ApiKey> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role,
  createdAt: k.createdAt,
  createdBy: k.createdBy,
  expiresAt: k.expiresAt,
  lastUsedAt: k.lastUsedAt,
  revokedAt: k.revokedAt,
  revokedBy: k.revokedBy,
});

/** /api-keys (admin only): keys for scripts (Authorization: Bearer), each with a role, an optional expiry and an audit. */
export function apiKeyRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/api-keys",
    summary: "API keys (never the keys themselves), newest first",
    tag: "api-keys",
    role: "admin",
    responses: { 200: items(ApiKey) },
    async handler() {
      return { status: 200, body: { items: (await c.apiKeys.list()).map(apiKeyOf) } };
    },
  });
  api.add({
    method: "post",
    path: "/api-keys",
    summary: "Create an API key: the answer holds the key, shown this once",
    tag: "api-keys",
    role: "admin",
    body: z.object({
      name: z
        .string()
        .trim()
        .min(1)
        .max(100)
        .regex(/^[^\p{Cc}]*$/u, "no control characters"),
      role: UserRole,
      /** When the key stops working; null or absent: never. */
      expiresAt: z.iso.datetime({ offset: true }).nullable().default(null),
    }),
    responses: { 201: CreatedApiKey },
    async handler({ body, session }) {
      if (body.expiresAt !== null && Date.parse(body.expiresAt) <= Date.now()) throw badRequest("expiresAt is in the past");
      const by = session?.username ?? "?";
      const { secret, doc } = await c.apiKeys.create({ name: body.name, role: body.role, expiresAt: body.expiresAt, by });
      c.log.info({ apiKey: doc.prefix, role: doc.role, by }, "API key created");
      return { status: 201, body: { apiKey: apiKeyOf(doc), key: secret } };
    },
  });
  api.add({
    method: "delete",
    path: "/api-keys/:id",
    summary: "Revoke an API key (it stays listed, with who revoked it and when)",
    tag: "api-keys",
    role: "admin",
    params: KeyParams,
    responses: { 200: ApiKey },
    async handler({ params, session }) {
      const by = session?.username ?? "?";
      const k = await c.apiKeys.revoke(params.id, by);
      if (k === undefined) throw notFound(`API key ${params.id}`);
      c.log.info({ apiKey: k.prefix, by }, "API key revoked");
      return { status: 200, body: apiKeyOf(k) };
    },
  });
  api.add({
    method: "get",
    path: "/api-keys/:id/uses",
    summary: "The requests made with an API key (audit), newest first",
    tag: "api-keys",
    role: "admin",
    params: KeyParams,
    query: z.object({ limit: limit(100, 1000) }),
    responses: { 200: items(ApiKeyUse) },
    async handler({ params, query }) {
      if ((await c.apiKeys.get(params.id)) === undefined) throw notFound(`API key ${params.id}`);
      const uses = await c.apiKeys.usesOf(params.id, query.limit);
      return {
        status: 200,
        body: { items: uses.map((u) => ({ at: u.at, method: u.method, path: u.path, status: u.status, ip: u.ip })) },
      };
    },
  });
}
