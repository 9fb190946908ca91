import { z } from "zod";
import { verifyPassword, dummyHash } from "../auth/passwords.ts";
import { clearedSessionCookie, sessionCookie } from "../auth/sessions.ts";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError } from "../http/errors.ts";
import { Me } from "../http/schemas.ts";

export function authRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "post",
    path: "/auth/login",
    summary: "Log in: sets the persona_sid cookie, returns the user and the CSRF token",
    tag: "auth",
    role: "public",
    body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
    responses: { 200: Me },
    async handler({ body, req }) {
      const ip = req.ip ?? req.socket.remoteAddress ?? "?";
      const locked = (retryAfterS: number) =>
        new ApiError(429, "locked", `too many failed logins; try again in ${retryAfterS} s`, undefined, {
          "Retry-After": String(retryAfterS),
        });
      const attempt = await c.limiter.begin(body.username, ip);
      if (!attempt.allowed) throw locked(attempt.retryAfterS);
      const user = await c.users.find(body.username);
      const good = await verifyPassword(body.password, user?.passwordHash ?? (await dummyHash()));
      if (!user || !good) {
        const lockedNow = await c.limiter.failed(attempt);
        if (lockedNow > 0) throw locked(lockedNow);
        throw new ApiError(401, "bad-credentials", "wrong username or password");
      }
      await c.limiter.succeeded(attempt);
      const { token, doc } = await c.sessions.create(user);
      c.log.info({ username: user.username, role: user.role }, "login");
      return {
        status: 200,
        body: { user: { username: user.username, role: user.role }, csrfToken: doc.csrfToken },
        headers: { "Set-Cookie": sessionCookie(token, c.sessions.ttlMs, c.secureCookies), "Cache-Control": "no-store" },
      };
    },
  });

  api.add({
    method: "post",
    path: "/auth/logout",
    summary: "Log out: ends the session",
    tag: "auth",
    role: "viewer",
    responses: { 204: { contentType: "text/plain", description: "logged out" } },
    async handler({ session }) {
      if (session) await c.sessions.delete(session.id);
      return { status: 204, headers: { "Set-Cookie": clearedSessionCookie(c.secureCookies) } };
    },
  });

  api.add({
    method: "get",
    path: "/auth/me",
    summary: "Who is logged in, and the session's CSRF token",
    tag: "auth",
    role: "viewer",
    responses: { 200: Me },
    async handler({ session }) {
      const s = session as NonNullable<typeof session>;
      return {
        status: 200,
        body: { user: { username: s.username, role: s.role }, csrfToken: s.csrfToken },
        headers: { "Cache-Control": "no-store" },
      };
    },
  });
}
