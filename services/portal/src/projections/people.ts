import type { PersonDoc, PersonInput, WriteOp } from "@persona/store";
import type { Projection } from "./projection.ts";

/**
 * The people library read model (LIBRARY stream): one PersonDoc per person (photos, sound, watchlist, how many
 * templates), and one `person_templates` document per template. A removed person keeps the document, marked
 * `removedAt`, with no templates (as the library forgets them); enrolling the same id again brings the person back.
 */

export type PeopleEventType =
  | "PersonEnrolled"
  | "PersonUpdated"
  | "PersonRemoved"
  | "FaceTemplateAdded"
  | "FaceTemplateReverted"
  | "EnrollmentRejected";

const later = (a: string, b: string) => (a > b ? a : b);

function input(p: PersonDoc): PersonInput {
  const { nameKey: _k, ...rest } = p;
  return rest;
}

export const peopleProjection = {
  name: "people",
  collections: ["people", "person_templates"],
  handlers: {
    async PersonEnrolled(env, { models }) {
      const d = env.data;
      const existing = await models.people.get(d.personId);
      const active = existing !== undefined && existing.removedAt === null ? existing : undefined;
      return [
        models.people.putOp({
          id: d.personId,
          name: d.name,
          description: d.description,
          photoIds: d.photos.map((p) => p.key),
          soundId: d.sound?.key ?? null,
          templates: active?.templates ?? 0,
          watchlist: active?.watchlist ?? null,
          createdAt: active?.createdAt ?? env.occurredAt,
          updatedAt: active === undefined ? env.occurredAt : later(active.updatedAt, new Date(env.occurredAt).toISOString()),
          removedAt: null,
        }),
      ];
    },

    async PersonUpdated(env, { models }) {
      const d = env.data;
      const p = await models.people.get(d.personId);
      if (p === undefined || p.removedAt !== null) return [];
      const next: PersonInput = { ...input(p), updatedAt: later(p.updatedAt, new Date(env.occurredAt).toISOString()) };
      if (d.name !== undefined) next.name = d.name;
      if (d.description !== undefined) next.description = d.description;
      if (d.photos !== undefined) next.photoIds = d.photos.map((ph) => ph.key);
      if (d.sound !== undefined) next.soundId = d.sound?.key ?? null;
      if (d.watchlist !== undefined) next.watchlist = d.watchlist;
      return [models.people.putOp(next)];
    },

    async PersonRemoved(env, { models }) {
      const p = await models.people.get(env.data.personId);
      if (p === undefined || p.removedAt !== null) return [];
      return [
        models.people.putOp({ ...input(p), templates: 0, removedAt: env.occurredAt, updatedAt: env.occurredAt }),
        models.personTemplates.deleteManyOp({ personId: p.id }),
      ];
    },

    async FaceTemplateAdded(env, { models }) {
      const d = env.data;
      const p = await models.people.get(d.personId);
      if (p === undefined || p.removedAt !== null) return [];
      if ((await models.personTemplates.get(d.templateId)) !== undefined) return [];
      const ops: WriteOp[] = [
        models.personTemplates.putOp({
          id: d.templateId,
          personId: d.personId,
          origin: d.origin.kind,
          photoKey: d.origin.kind === "enrollment" ? d.origin.photo.key : null,
          quality: d.quality.score,
          addedAt: env.occurredAt,
        }),
        models.people.putOp({ ...input(p), templates: p.templates + 1 }),
      ];
      return ops;
    },

    async FaceTemplateReverted(env, { models }) {
      const t = await models.personTemplates.get(env.data.templateId);
      if (t === undefined || t.personId !== env.data.personId) return [];
      const p = await models.people.get(env.data.personId);
      const ops: WriteOp[] = [models.personTemplates.deleteOp(t.id)];
      if (p !== undefined) ops.push(models.people.putOp({ ...input(p), templates: Math.max(0, p.templates - 1) }));
      return ops;
    },

    async EnrollmentRejected() {
      // a rejected request changes nobody
      return [];
    },
  },
} satisfies Projection<PeopleEventType>;
