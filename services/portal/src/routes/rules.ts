import { AlertRules } from "../alerts/rules.ts";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";

/** GET/PUT /rules: the alert rules (camera roles and schedules, rules) in the KV config bucket. */
export function ruleRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/rules",
    summary: "The alert rules (camera roles and schedules, rules)",
    tag: "alerts",
    role: "viewer",
    responses: { 200: AlertRules },
    async handler() {
      return { status: 200, body: await c.rules.get() };
    },
  });

  api.add({
    method: "put",
    path: "/rules",
    summary: "Replace the alert rules (validated; 400 with zod issues)",
    tag: "alerts",
    role: "admin",
    body: AlertRules,
    responses: { 200: AlertRules },
    async handler({ body }) {
      await c.rules.put(body);
      return { status: 200, body };
    },
  });
}
