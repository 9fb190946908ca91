import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { badRequest, notFound } from "../http/errors.ts";
import { MEDIA_BUCKETS, validMediaKey } from "../media.ts";

/** GET /media/<bucket>/<key>: Object Store objects (photos, sounds, crops) by a validated key. */
export function mediaRoutes(api: Api, c: PortalContext): void {
  for (const bucket of MEDIA_BUCKETS) {
    api.add({
      method: "get",
      path: `/media/${bucket}/*key`,
      summary: `A stored object of the ${bucket} bucket, by key`,
      tag: "media",
      role: "viewer",
      params: z.object({ key: z.union([z.string(), z.array(z.string())]) }),
      responses: { 200: { contentType: bucket === "sounds" ? "audio/mpeg" : "image/*", description: "the object's bytes" } },
      async handler({ params, req, res }) {
        // the raw path, so encoded separators and dot segments are judged as sent
        const raw = req.path.slice(`/media/${bucket}/`.length);
        let key: string;
        try {
          key = decodeURIComponent(raw);
        } catch {
          throw badRequest("malformed key");
        }
        void params;
        if (!validMediaKey(key) || key !== raw) throw badRequest("invalid media key");
        const m = await c.media.get(bucket, key);
        if (!m) throw notFound(`${bucket}/${key}`);
        res.setHeader("Content-Type", m.contentType);
        res.setHeader("X-Content-Type-Options", "nosniff");
        res.setHeader("Cache-Control", "private, max-age=3600");
        res.status(200).end(Buffer.from(m.bytes));
        return null;
      },
    });
  }
}
