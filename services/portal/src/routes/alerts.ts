import { z } from "zod";
import { ALERTS_PROJECTION } from "../alerts/projection.ts";
import { type PortalContext, projected } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { Alert, AlertStatusApi, items, limit } from "../http/schemas.ts";
import { alertOf } from "../views/alerts.ts";

const AlertParams = z.object({ alertId: z.uuid() });

/** GET /alerts, POST /alerts/:alertId/ack and /resolve (published as AlertAcknowledged / AlertResolved). */
export function alertRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/alerts",
    summary: "Alerts, newest first",
    tag: "alerts",
    role: "viewer",
    query: z.object({ status: AlertStatusApi.optional(), limit: limit(100, 1000) }),
    responses: { 200: items(Alert) },
    async handler({ query }) {
      const status = query.status === "open" ? "raised" : query.status;
      const docs = await c.alerts.list({ status, limit: query.limit });
      return { status: 200, body: { items: docs.map(alertOf) } };
    },
  });

  for (const action of ["ack", "resolve"] as const) {
    api.add({
      method: "post",
      path: `/alerts/:alertId/${action}`,
      summary: action === "ack" ? "Acknowledge an alert (who and when are recorded)" : "Resolve an alert",
      tag: "alerts",
      role: "operator",
      params: AlertParams,
      body: z.object({ note: z.string().max(1000).default("") }),
      responses: { 200: Alert },
      async handler({ params, body, session }) {
        const a = await c.alerts.get(params.alertId);
        if (!a) throw notFound(`alert ${params.alertId}`);
        if (action === "ack" && a.status !== "raised") throw new ApiError(409, "not-open", `the alert is ${a.status}`);
        if (action === "resolve" && a.status === "resolved") throw new ApiError(409, "resolved", "the alert is resolved");
        const by = session?.username ?? "?";
        const env =
          action === "ack"
            ? c.bus.envelope("AlertAcknowledged", { alertId: a.id, by, note: body.note })
            : c.bus.envelope("AlertResolved", { alertId: a.id, by, note: body.note });
        const ack = await c.bus.publish(env);
        await projected(c.store, ALERTS_PROJECTION, ack.seq);
        return { status: 200, body: alertOf((await c.alerts.get(a.id)) ?? a) };
      },
    });
  }
}
