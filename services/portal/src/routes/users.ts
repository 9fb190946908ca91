import { UserRole } from "@persona/store";
import { z } from "zod";
import { UserError, publicUser } from "../auth/users.ts";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError } from "../http/errors.ts";
import { UserRow, items } from "../http/schemas.ts";

const userError = (err: unknown): never => {
  if (err instanceof UserError) {
    const status = err.code === "not-found" ? 404 : err.code === "exists" || err.code === "last-admin" ? 409 : 400;
    throw new ApiError(status, err.code, err.message);
  }
  throw err;
};

const UserParams = z.object({ username: z.string().min(1).max(64) });

/** /users: the console users (admin only); a change of role or password and a removal end the user's sessions. */
export function userRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/users",
    summary: "Console users",
    tag: "users",
    role: "admin",
    responses: { 200: items(UserRow) },
    async handler() {
      return { status: 200, body: { items: (await c.users.list()).map(publicUser) } };
    },
  });
  api.add({
    method: "post",
    path: "/users",
    summary: "Add a user",
    tag: "users",
    role: "admin",
    body: z.object({ username: z.string().min(1).max(64), role: UserRole, password: z.string().min(1).max(1024) }),
    responses: { 201: UserRow },
    async handler({ body }) {
      const u = await c.users.add(body.username, body.role, body.password).catch(userError);
      return { status: 201, body: publicUser(u) };
    },
  });
  api.add({
    method: "patch",
    path: "/users/:username",
    summary: "Change a user's role or password (ends their sessions)",
    tag: "users",
    role: "admin",
    params: UserParams,
    body: z
      .object({ role: UserRole.optional(), password: z.string().min(1).max(1024).optional() })
      .refine((v) => v.role !== undefined || v.password !== undefined, "role or password"),
    responses: { 200: UserRow },
    async handler({ params, body, session }) {
      const u = await c.users.update(params.username, body).catch(userError);
      if (u.id !== session?.userId || body.role !== undefined) await c.sessions.deleteUser(u.id);
      return { status: 200, body: publicUser(u) };
    },
  });
  api.add({
    method: "delete",
    path: "/users/:username",
    summary: "Remove a user (ends their sessions)",
    tag: "users",
    role: "admin",
    params: UserParams,
    responses: { 204: { contentType: "text/plain", description: "removed" } },
    async handler({ params }) {
      const u = await c.users.remove(params.username).catch(userError);
      await c.sessions.deleteUser(u.id);
      return { status: 204 };
    },
  });
}
