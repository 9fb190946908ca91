import { randomUUID } from "node:crypto";
import { type AnyEnvelope, PersonName } from "@persona/contracts";
import type { Filter } from "@persona/store";
import { z } from "zod";
import { type PortalContext, projected } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { Id, Published, Visitor, VisitorStatusApi, limit } from "../http/schemas.ts";
import type { VisitorDoc } from "../projections/readModels.ts";
import { VISITORS_PROJECTION, currentVisitor, decisionId } from "../projections/visitors.ts";
import { visitorOf } from "../views/visitors.ts";

/**
 * Unknown visitors (the trainer's clusters of recurring unknown faces; the visitors projection): list, detail, and
 * the operator's decisions, published as VisitorNamed / VisitorIgnored on SIGHTINGS for the trainer (which enrolls
 * a named visitor's best faces) and the alert rules (which skip an ignored visitor's faces).
 */

const VisitorParams = z.object({ visitorId: z.uuid() });
const ListQuery = z.object({
  status: z.enum([...VisitorStatusApi.options, "all"]).default("open"),
  limit: limit(50, 500),
  offset: z.coerce.number().int().min(0).default(0),
});
const NameVisitor = z.union([
  z.strictObject({ personId: Id }),
  z.strictObject({
    name: z.string().trim().pipe(PersonName),
    description: z.string().trim().max(1000).optional(),
  }),
]);
const IgnoreVisitor = z.strictObject({ reason: z.string().trim().max(1000).default("") });

/**
 * The envelope id of an operator's decision about a visitor: a second decision published before the first shows in
 * the read model (two operators, two replicas) is a duplicate the stream drops.
 */

export function visitorRoutes(api: Api, c: PortalContext): void {
  visitorReads(api, c);
  visitorDecisions(api, c);
}

function visitorReads(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/visitors",
    summary: "Unknown visitors (recurring unknown faces) by status, most recently seen first",
    tag: "visitors",
    role: "viewer",
    query: ListQuery,
    responses: { 200: z.object({ items: z.array(Visitor), total: z.number().int() }) },
    async handler({ query }) {
      const filter: Filter = { absorbedInto: null };
      if (query.status !== "all") filter.status = query.status;
      const [docs, total] = await Promise.all([
        c.models.visitors.find(filter, { sort: { lastSeen: -1 }, limit: query.limit, skip: query.offset }),
        c.models.visitors.count(filter),
      ]);
      return { status: 200, body: { items: docs.map(visitorOf), total } };
    },
  });

  api.add({
    method: "get",
    path: "/visitors/:visitorId",
    summary: "One visitor (an absorbed visitor's id answers with the visitor that absorbed it)",
    tag: "visitors",
    role: "viewer",
    params: VisitorParams,
    responses: { 200: Visitor },
    async handler({ params }) {
      const v = await currentVisitor(c.models, params.visitorId);
      if (!v) throw notFound(`visitor ${params.visitorId}`);
      return { status: 200, body: visitorOf(v) };
    },
  });
}

/** The operator's decisions: VisitorNamed / VisitorIgnored, one per visitor (409 once decided). */
function visitorDecisions(api: Api, c: PortalContext): void {
  const decidable = async (visitorId: string): Promise<VisitorDoc> => {
    const v = await currentVisitor(c.models, visitorId);
    if (!v) throw notFound(`visitor ${visitorId}`);
    if (v.status !== "open") {
      const d = v.decision;
      throw new ApiError(
        409,
        "not-open",
        `visitor ${v.id} is already ${v.status}${d ? ` (by ${d.by} at ${d.at})` : ""}`,
        d ? { decision: d } : undefined,
      );
    }
    return v;
  };

  const sameAsStored = async (seq: number, env: AnyEnvelope): Promise<boolean> => {
    const m = await c.bus.jsm.streams.getMessage("SIGHTINGS", { seq }).catch(() => null);
    if (!m) return false;
    const stored = m.json<{ type?: string; data?: unknown }>();
    return stored.type === env.type && JSON.stringify(stored.data) === JSON.stringify(env.data);
  };

  const published = async (env: AnyEnvelope, visitorId: string) => {
    const ack = await c.bus.publish(env);
    if (ack.duplicate && !(await sameAsStored(ack.seq, env))) {
      // (a duplicate of our own envelope is a publish retried after a lost answer: that one is ours)
      throw new ApiError(409, "not-open", `another decision about visitor ${visitorId} was just published`);
    }
    // read-your-writes: answer once the visitors projection (on whichever replica) applied it
    await projected(c.store, VISITORS_PROJECTION, ack.seq);
    const v = await c.models.visitors.get(visitorId);
    return {
      published: { id: env.id, type: env.type, occurredAt: env.occurredAt, data: env.data as Record<string, unknown> },
      visitor: v ? visitorOf(v) : null,
    };
  };

  api.add({
    method: "post",
    path: "/visitors/:visitorId/name",
    summary:
      "Name a visitor: {name, description?} enrolls a new person, {personId} adds to an existing one (VisitorNamed; the trainer enrolls the best faces)",
    tag: "visitors",
    role: "operator",
    params: VisitorParams,
    body: NameVisitor,
    responses: {
      202: z.object({ published: Published, visitor: Visitor.nullable() }),
    },
    async handler({ params, body, session }) {
      const by = session?.username ?? "?";
      const v = await decidable(params.visitorId);
      let person: { personId: string; name: string; existing: boolean };
      if ("personId" in body) {
        const p = await c.models.people.get(body.personId);
        if (!p || p.removedAt !== null) throw notFound(`person ${body.personId}`);
        person = { personId: p.id, name: p.name, existing: true };
      } else {
        person = { personId: randomUUID(), name: body.name, existing: false };
      }
      const description = !person.existing && "description" in body ? body.description : undefined;
      const env = c.bus.envelope(
        "VisitorNamed",
        {
          visitorId: v.id,
          personId: person.personId,
          existing: person.existing,
          name: person.name,
          ...(description ? { description } : {}),
          by,
        },
        { id: decisionId(v.id) },
      );
      return { status: 202, body: await published(env, v.id) };
    },
  });

  api.add({
    method: "post",
    path: "/visitors/:visitorId/ignore",
    summary: "Ignore a visitor: no more unknown-face alerts for their face (VisitorIgnored)",
    tag: "visitors",
    role: "operator",
    params: VisitorParams,
    body: IgnoreVisitor,
    responses: { 202: z.object({ published: Published, visitor: Visitor.nullable() }) },
    async handler({ params, body, session }) {
      const v = await decidable(params.visitorId);
      const env = c.bus.envelope(
        "VisitorIgnored",
        { visitorId: v.id, by: session?.username ?? "?", reason: body.reason },
        { id: decisionId(v.id) },
      );
      return { status: 202, body: await published(env, v.id) };
    },
  });
}
