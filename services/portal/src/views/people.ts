import type { PersonDoc } from "@persona/store";
import type { z } from "zod";
import type { Person } from "../http/schemas.ts";

/** A person as the API shows it (GET /people, /people/:id) and the live push sends it (`person`). */
export function personOf(p: PersonDoc): z.infer<typeof Person> {
  return {
    personId: p.id,
    name: p.name,
    description: p.description,
    photoKeys: p.photoIds,
    soundKey: p.soundId,
    templates: p.templates,
    watchlist: p.watchlist,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
