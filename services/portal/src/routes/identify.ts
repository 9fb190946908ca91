import { sniffImage } from "@persona/contracts";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError, unavailable } from "../http/errors.ts";
import { IdentifyResult } from "../http/schemas.ts";
import { SearchInputError, SearchUnavailableError } from "../search/photoSearch.ts";

/**
 * /identify: search by photo. Every face of an uploaded photo with its best matches in the library and the decision
 * the recognizers would take for it (src/search/photoSearch.ts). Operators and admins: a viewer may look at who was
 * seen, not run a biometric search of their own photos.
 */
export function identifyRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "post",
    path: "/identify",
    summary:
      "Search by photo (multipart 'photo', one JPEG, PNG, WebP or BMP up to 20 MB): each face boxed with its best matches and the decision (named / probable / unknown); 422 when no face is found, 503 without the models",
    tag: "identify",
    role: "operator",
    multipart: { files: [{ name: "photo", maxCount: 1, description: "the photo to search (JPEG, PNG, WebP, BMP)" }] },
    responses: { 200: IdentifyResult },
    async handler({ files }) {
      const photo = files.find((f) => f.fieldname === "photo");
      if (!photo) throw new ApiError(400, "validation", "a photo (multipart field 'photo')");
      if (sniffImage(photo.buffer) === null)
        throw new ApiError(415, "not-an-image", `${photo.originalname || "the file"} is not a JPEG, PNG, WebP or BMP image`);
      let result: Awaited<ReturnType<PortalContext["search"]["identify"]>>;
      try {
        result = await c.search.identify(photo.buffer);
      } catch (err) {
        if (err instanceof SearchUnavailableError) throw unavailable(err.message);
        if (err instanceof SearchInputError) throw new ApiError(err.status, err.code, err.message);
        throw err;
      }
      if (result.faces.length === 0)
        throw new ApiError(422, "no-face", "no face was found in the photo", { width: result.width, height: result.height });
      return { status: 200, body: result };
    },
  });
}
