// For tests, tools and the web e2e that run the real portal in-process; services never import each other.
export { type PortalOptions, type RunningPortal, startPortal } from "./app.ts";
export { Users, UserError } from "./auth/users.ts";
export { configSchema } from "./config.ts";
export { DEFAULT_RULES, AlertRules } from "./alerts/rules.ts";
export { SessionStore } from "./auth/sessions.ts";
export { hashPassword, verifyPassword } from "./auth/passwords.ts";
export { startAlertConsumer } from "./alerts/consumer.ts";
export { CameraDirectory } from "./cameras.ts";
export { SessionsConsumer, replaySessionsFold } from "./sessions/consumer.ts";
export { SessionsFold } from "./sessions/fold.ts";
// the sessions' reports, shared by the routes and `persona report`
export * from "./sessions/reports.ts";
export { type ImageSource, type PdfFonts, findPdfFonts } from "./sessions/pdf/document.ts";
export { TINY_JPEG, pdfSummary } from "./sessions/pdf/pdfText.ts";
export { MediaStore } from "./media.ts";
export { occurrenceViewOf } from "./sessions/views.ts";
