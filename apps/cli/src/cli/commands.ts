/**
 * The command table: every `persona` command with its subcommands, summary, options and run function. `persona help`,
 * `persona <command> --help` and the option parsing are all generated from it (`help.ts`, `parse.ts`); the README's
 * command list is the same as `persona help` (a unit test compares them).
 */
import { evalCommand } from "../commands/evaluate.ts";
import { eraseCommand } from "../commands/erase.ts";
import { identifyCommand } from "../commands/identify.ts";
import { importCommand } from "../commands/import.ts";
import { peopleCommand } from "../commands/people.ts";
import { projectionsCommand } from "../commands/projections.ts";
import { reportCommand } from "../commands/report.ts";
import { retentionCommand } from "../commands/retention.ts";
import { runCommand } from "../commands/run.ts";
import { statusCommand } from "../commands/status.ts";
import { usersCommand } from "../commands/users.ts";
import { watchCommand } from "../commands/watch.ts";
import { UsageError } from "../errors.ts";
import { SERVICE_NAMES } from "../services.ts";
import { type Command, defineCommand } from "./spec.ts";

/** A positive number of seconds given as an option, in ms. */
export function seconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive number of seconds, got ${JSON.stringify(value)}`);
  return Math.round(n * 1000);
}

/** A whole number (0 or more) given as an option. */
export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** `{ key: value }` when the value is given (a non-empty string), `{}` otherwise: for optional fields. */
const given = <K extends string>(key: K, value: string | undefined): { [P in K]?: string } =>
  (value ? { [key]: value } : {}) as { [P in K]?: string };

const NATS_ENV = "NATS_URL (default: the local 'persona run' NATS, nats://127.0.0.1:4333)";

const run = defineCommand({
  name: "run",
  summary: "starts the whole system on one machine: nats-server, the store and every service, restarted when they crash",
  arity: { min: 0, max: 0 },
  options: [
    {
      name: "services",
      value: "a,b,...",
      help: `the services to start (default PERSONA_SERVICES, or all: ${SERVICE_NAMES.join(",")})`,
    },
  ],
  description: [
    `Starts the whole system on one machine: a local nats-server with JetStream under <data>/nats (unless NATS_URL is
     set), the SQLite store under <data> (unless STORE_URL is set; <data> is PERSONA_DATA_DIR, default <repo>/data), and
     every service as its own child process, restarted with backoff if it crashes (nats-server too). Ctrl-C stops the
     services (each drains), then nats-server.`,
    `With no CAMERAS configured, a demo camera loops a clip from the shared data sets (PERSONA_DEMO_CAMERA=off
     disables).`,
  ],
  notes: [
    `Environment: NATS_URL, PERSONA_NATS_PORT (default 4333), STORE_URL, PERSONA_DATA_DIR, PERSONA_SERVICES,
     <SERVICE>_HEALTH_PORT, PERSONA_DEMO_CAMERA, PERSONA_DEMO_VIDEO.`,
  ],
  run: (v) => runCommand({ services: v.services }),
});

const status = defineCommand({
  name: "status",
  summary: "asks every service's /readyz and prints their readiness",
  arity: { min: 0, max: 0 },
  options: [{ name: "json", help: "print the readiness as JSON" }],
  description: [
    `Asks every service's /readyz (ports: <SERVICE>_HEALTH_PORT or the defaults 9101-9107) and prints their
     readiness.`,
  ],
  notes: ["Exit code 0 when all are ready, 1 otherwise."],
  run: (v) => statusCommand({ json: v.json }),
});

const importCmd = defineCommand({
  name: "import",
  args: "DIR",
  summary: "imports people from folders in the paper's format; importing again changes only what changed",
  arity: { min: 1, max: 1 },
  options: [
    { name: "json", help: `print the report as JSON (see README, "JSON output")` },
    { name: "dry-run", help: "plan against the current library, send nothing" },
    { name: "retry-rejected", help: "send photos the recognizer rejected in an earlier import again" },
    {
      name: "allow-duplicate",
      help: `enroll a photo even when it is another person's: the same file (in the library or in an earlier folder of
             this import) or a face the recognizer names as them; without it such a photo is rejected
             "duplicate-of <person>"`,
    },
    { name: "timeout", value: "SECONDS", default: "60", help: "how long to wait for the recognizer's answer per person" },
    { name: "concurrency", value: "N", default: "4", help: "people enrolled at the same time" },
  ],
  description: [
    `Imports people from folders in the paper's format: one sub-folder per person with a data.txt (line 1 the name,
     line 2 the position or description, line 3 the photo's file name, optional line 4 the greeting sound's file name)
     and the photo (and sound). Other images in a folder become extra photos. Importing the same folders again changes
     only what changed. Reports each person as imported, updated, unchanged, rejected (with the reason) or failed.`,
  ],
  notes: [
    "Exit code 0 when nothing was rejected, 1 when a folder or photo was rejected or failed, 2 on usage errors.",
    `Environment: ${NATS_ENV}.`,
  ],
  run: (v, [dir]) => {
    const concurrency = positiveInt("concurrency", v.concurrency);
    if (concurrency === 0) throw new UsageError("--concurrency must be at least 1");
    return importCommand({
      dir: dir as string,
      json: v.json,
      dryRun: v["dry-run"],
      retryRejected: v["retry-rejected"],
      allowDuplicate: v["allow-duplicate"],
      timeoutMs: seconds("timeout", v.timeout),
      concurrency,
    });
  },
});

const people = defineCommand({
  name: "people",
  summary: "the people library, as the LIBRARY stream says it is now",
  subcommands: [
    { name: "list", summary: "everyone: id, name, description, templates, watchlist", options: ["json"] },
    { name: "show", args: "ID|NAME", summary: "one person: photos, sound, templates with origin and time", options: ["json"] },
    {
      name: "remove",
      args: "ID|NAME",
      summary: "removes through the LibraryWriter (PersonRemoved; asks first unless --yes)",
      options: ["reason", "yes", "json"],
    },
    {
      name: "add-photo",
      args: "ID|NAME FILE...",
      summary: "enrolls more photos and reports each photo's outcome",
      details: "a photo that is another person's is rejected duplicate-of unless --allow-duplicate",
      options: ["timeout", "allow-duplicate", "json"],
    },
    {
      name: "revert",
      args: "ID|NAME --template TEMPLATE_ID|--since ISO_TIME",
      summary: "takes templates out of a person's gallery (FaceTemplateReverted)",
      details: "one template (any origin), or every self-learned one added since a time (asks first unless --yes)",
      options: ["reason", "yes", "json"],
    },
    {
      name: "reembed",
      args: "[ID|NAME...]",
      summary: "after a model change, enrolls again every enrollment photo with a template of another model only",
      details: `then the recognizers running --model M (default RECOGNIZER_MODEL, +flip with RECOGNIZER_FLIP) know the
                person; everyone, or the people named; old templates stay until removed`,
      options: ["model", "dry-run", "timeout", "json"],
    },
  ],
  options: [
    { name: "json", help: `print the result as JSON (see README, "JSON output")` },
    { name: "reason", value: "R", help: "remove, revert: the reason recorded in the event" },
    { name: "yes", short: "y", help: "remove, revert --since: do not ask first" },
    {
      name: "timeout",
      value: "SECONDS",
      default: "60",
      help: "add-photo, reembed: how long to wait for the recognizer per person",
    },
    { name: "allow-duplicate", help: "add-photo: enroll a photo even when it is another person's" },
    { name: "template", value: "TEMPLATE_ID", help: "revert: the one template to take out" },
    { name: "since", value: "ISO_TIME", help: "revert: every self-learned template added at or after this time" },
    { name: "model", value: "M", help: "reembed: the template model to make (default RECOGNIZER_MODEL)" },
    { name: "dry-run", help: "reembed: plan only, send nothing" },
  ],
  description: [
    `The people library, as the LIBRARY stream says it is now (NATS_URL, default the local 'persona run' NATS). A NAME
     matches exactly, then ignoring case; several people with that name is an error listing their ids.`,
  ],
  notes: ["Exit code 0 on success, 1 on failure (unknown person, rejected photo, no answer), 2 on usage errors."],
  run: (v, [sub, ...positionals]) =>
    peopleCommand({
      sub,
      positionals,
      json: v.json,
      reason: v.reason,
      yes: v.yes,
      timeoutMs: seconds("timeout", v.timeout),
      ...given("template", v.template),
      ...given("since", v.since),
      ...given("model", v.model),
      dryRun: v["dry-run"],
      allowDuplicate: v["allow-duplicate"],
    }),
});

const erase = defineCommand({
  name: "erase",
  args: "PERSON_ID",
  summary: "erases a person for good (a privacy request); the cleaner does it and leaves a PersonErased audit record",
  arity: { min: 1, max: 1 },
  options: [
    { name: "yes", short: "y", help: "do not ask first" },
    { name: "json", help: "print the outcome as JSON" },
    { name: "reason", value: "R", help: "the reason recorded with the erasure" },
    { name: "timeout", value: "SECONDS", default: "120", help: "how long to wait for the audit record" },
  ],
  description: [
    `Erases a person for good (a privacy request): their library events, photos, sounds, templates, sightings, crops,
     alerts and read-model rows. The cleaner service does it and leaves an audit record (PersonErased: the id, who
     asked, when, how much was removed; no name, photo or embedding). Asks first unless --yes. Waits for the audit
     record. Erasing someone already erased is harmless.`,
  ],
  notes: ["Exit code 0 when erased, 1 when not confirmed (declined, or no cleaner answered), 2 on usage errors."],
  run: (v, [personId]) =>
    eraseCommand({
      personId: personId as string,
      yes: v.yes,
      json: v.json,
      reason: v.reason,
      timeoutMs: seconds("timeout", v.timeout),
    }),
});

const retention = defineCommand({
  name: "retention",
  summary: "one retention run now, as the cleaner runs it every CLEANER_INTERVAL_MINUTES",
  subcommands: [
    { name: "run", summary: "one retention run now, as the cleaner runs it every CLEANER_INTERVAL_MINUTES", options: ["json"] },
  ],
  arity: { min: 1, max: 1 },
  options: [{ name: "json", help: "print the counts as JSON" }],
  description: [
    `One retention run now, as the cleaner service runs it every CLEANER_INTERVAL_MINUTES: removes what is older than
     its kind's retention (RETENTION_UNKNOWN_CROPS_HOURS 8, RETENTION_SIGHTINGS_DAYS 30, RETENTION_ALERTS_DAYS 90,
     RETENTION_ATTENDANCE_DAYS 0 = keep, RETENTION_PRESENCE_HOURS 24, RETENTION_APPLIED_DAYS 7) from the store
     (STORE_URL), the streams and the Object Store (NATS_URL), and orphaned photos and sounds; publishes
     RetentionRunCompleted and prints the counts.`,
    "Safe while a cleaner runs (every step deletes only what has expired).",
  ],
  run: (v, [sub]) => retentionCommand({ sub, json: v.json }),
});

const identify = defineCommand({
  name: "identify",
  args: "IMAGE...",
  summary: "every face in each image with its box, quality and best matching person (or unknown), against the library",
  arity: { min: 1 },
  options: [
    { name: "json", help: `print the faces as JSON (see README, "JSON output")` },
    { name: "offline", help: "do not ask the system: match against an empty library (every face unknown)" },
  ],
  description: [
    `Every face in each image: its box, quality, and the best matching person or "unknown" with the score, against the
     current library (the LIBRARY stream of the running system, NATS_URL or the local 'persona run' NATS).`,
    "Uses the recognizer's model and thresholds (RECOGNIZER_MODEL, RECOGNIZER_NAME_THRESHOLD, RECOGNIZER_MIN_MARGIN).",
  ],
  notes: ["Exit code 0 when every image was read, 1 when one could not be (its error is in the output)."],
  run: (v, images) => identifyCommand({ images, json: v.json, offline: v.offline }),
});

const watch = defineCommand({
  name: "watch",
  args: "SOURCE",
  summary: "runs a clip or stream through the camera and recognizer pipeline; one line per finished track",
  arity: { min: 1, max: 1 },
  options: [
    { name: "once", help: "play a file once and exit when every track is concluded (default for files: loop)" },
    { name: "json", help: `one JSON object per finished track (see README, "JSON output")` },
    {
      name: "camera-id",
      value: "ID",
      help: "the camera's id in the events (default watch-<random>; without --record prefixed _watch-)",
    },
    {
      name: "record",
      help: "let the running system record what the camera sees (sightings, presence, attendance, self-learning, alerts)",
    },
    { name: "realtime", help: "pace a file at its own frame rate (default: as fast as it can be processed)" },
    { name: "standalone", help: "do not use the running system: a private nats-server and recognizer in-process" },
    { name: "enroll", value: "DIR", help: "with a private system: import this folder of people into its library first" },
    {
      name: "timeout",
      value: "SECONDS",
      default: "60",
      help: "with --once: how long to wait for the last conclusions after the source ends",
    },
  ],
  description: [
    `Runs a clip or a stream (file, rtsp://, http://, /dev/videoN) through the camera and recognizer pipeline and
     prints one line per finished track: camera, track, start and end, frames, best quality, and the decision (person
     and name, unknown, or undecided) with its score.`,
    `Against the running system (NATS_URL, default the local 'persona run' NATS) its recognizers and library are used;
     with --standalone, or when no system answers, it starts a private nats-server and recognizer in-process.`,
    `Without --record the camera is a trial camera (id _watch-...): the recognizer answers it, but nothing records it
     (no sighting, presence, attendance, visitor, self-learned template, crop for the classifier, alert or greeting)
     and the console forgets the camera when watch ends. With --record it is an ordinary camera.`,
  ],
  run: (v, [source]) =>
    watchCommand({
      source: source as string,
      once: v.once,
      json: v.json,
      realtime: v.realtime,
      standalone: v.standalone,
      record: v.record,
      ...given("cameraId", v["camera-id"]),
      ...given("enroll", v.enroll),
      timeoutMs: seconds("timeout", v.timeout),
    }),
});

const EMBEDDING = ["model", "flip", "ensemble", "landmarks", "enhance"] as const;

const evaluate = defineCommand({
  name: "eval",
  summary: "the evaluation: LFW verification and 1:N, any pairs TSV, folder galleries, a replay of self-learning",
  bareShowsHelp: true,
  subcommands: [
    {
      name: "lfw",
      summary: "the standard 10-fold LFW verification",
      details: `pairs.txt, the threshold chosen on nine folds and tested on the tenth; mean accuracy and std, TAR at
                FAR 1e-3, ROC AUC, images without a detected face`,
      options: ["data", ...EMBEDDING, "json", "out"],
    },
    {
      name: "lfw-identify",
      summary: "open-set 1:N identification on LFW",
      details: "gallery: one image of each person with >= 5; probes: their other images; impostors: everybody else",
      options: ["data", ...EMBEDDING, "json", "out"],
    },
    {
      name: "pairs",
      args: "FILE.tsv",
      summary: "verification as lfw on any TSV of pairs",
      details: "columns img1, img2, same (0/1) and optional fold, paths relative to the file",
      options: [...EMBEDDING, "json", "out"],
    },
    {
      name: "identify",
      args: "--gallery DIR --probes DIR",
      summary: "open-set 1:N on folder-per-person galleries and probes (and impostors)",
      details: "rank-1, FNIR at FPIR 1%, false accepts",
      options: ["impostors", ...EMBEDDING, "json", "out"],
    },
    {
      name: "selflearn",
      summary: "a replay of self-learning: recall and false accepts over time with gallery growth off and on",
      details: `LFW by default: people with >= 10 images enrolled from one photo, the rest streamed as tracks of --shots
                photos mixed with never-enrolled impostors; templates added to a wrong person, purity of the unknown
                clusters, fast path. Exit code 1 when a template was added to a wrong person`,
      options: ["data", "model", "max-people", "limit", "seed", "shots", "impostor-people", "fast-path", "json", "out"],
    },
  ],
  options: [
    { name: "data", value: "DIR", help: "the LFW folder (default lfw in the shared data sets)" },
    { name: "gallery", value: "DIR", help: "identify: the gallery, a folder per person" },
    { name: "probes", value: "DIR", help: "identify: the probes, a folder per person" },
    { name: "impostors", value: "DIR", help: "identify: probes of people not in the gallery" },
    { name: "out", value: "DIR", default: "data/eval", help: "where the report (and roc.svg) is written" },
    { name: "model", value: "M", help: "the embedding model (default RECOGNIZER_MODEL)" },
    { name: "flip", negatable: true, help: "flip fusion (default RECOGNIZER_FLIP)" },
    { name: "ensemble", help: "an ensemble of the models" },
    { name: "landmarks", negatable: true, help: "align from 68-point landmarks (default: as the recognizers do)" },
    { name: "enhance", help: "enhance every chip before embedding (the services do not: see the eval README)" },
    { name: "json", help: "print the report as JSON" },
    { name: "max-people", value: "N", help: "selflearn: at most N enrolled people" },
    { name: "limit", value: "TRACKS", help: "selflearn: at most this many tracks" },
    { name: "seed", value: "N", help: "selflearn: the seed of the shuffle" },
    { name: "shots", value: "N", default: "2", help: "selflearn: photos per track" },
    { name: "impostor-people", value: "N", help: "selflearn: how many never-enrolled people are mixed in" },
    { name: "fast-path", negatable: true, help: "selflearn: the recognizer's fast path (default on)" },
  ],
  description: [
    `The honest yardstick. Writes report.json (selflearn.json) and roc.svg to --out; --json prints the report. By
     default it measures what the recognizers run (RECOGNIZER_MODEL, default fr_feature; RECOGNIZER_FLIP, default on;
     ALIGN_LANDMARKS for dlib; the detector the services load: YuNet when present, PERSONA_DETECTOR): --model, --flip /
     --no-flip, --ensemble, --landmarks / --no-landmarks override it (see packages/eval/README.md). --enhance enhances
     every chip before embedding (gamma, equalisation, sharpening as measured on it; the services do not: see the eval
     README). Embeddings are cached in data/cache (keyed by image, model and settings).`,
  ],
  run: (v, [sub, ...positionals]) =>
    evalCommand({
      sub: sub as string,
      positionals,
      ...given("data", v.data),
      ...given("gallery", v.gallery),
      ...given("probes", v.probes),
      ...given("impostors", v.impostors),
      ...given("out", v.out),
      ...given("model", v.model),
      ...(v.flip !== undefined ? { flip: v.flip } : {}),
      ensemble: v.ensemble,
      ...(v.landmarks !== undefined ? { landmarks: v.landmarks } : {}),
      enhance: v.enhance,
      json: v.json,
      maxPeople: positiveInt("max-people", v["max-people"]),
      limit: positiveInt("limit", v.limit),
      seed: positiveInt("seed", v.seed),
      shots: positiveInt("shots", v.shots),
      impostorPeople: positiveInt("impostor-people", v["impostor-people"]),
      fastPath: v["fast-path"] !== false,
    }),
});

const projections = defineCommand({
  name: "projections",
  summary: "rebuilds the portal's read models from the LIBRARY and SIGHTINGS streams",
  subcommands: [
    {
      name: "rebuild",
      summary: "rebuilds the portal's read models (people, sightings, presence, attendance, visitors) from the streams",
      options: ["json", "settle-ms", "timeout"],
    },
  ],
  arity: { min: 0, max: 1 },
  options: [
    { name: "json", help: "print the counts as JSON" },
    { name: "settle-ms", value: "MS", default: "2000", help: "wait after stopping deliveries for an event still being applied" },
    { name: "timeout", value: "SECONDS", default: "600", help: "give up waiting for the replay" },
  ],
  description: [
    `Rebuilds the portal's read models (people, sightings, presence, attendance, visitors) from the LIBRARY and
     SIGHTINGS streams: stops their shared durable consumers, resets the projections' checkpoints and clears their
     collections, creates the consumers again from the start of the streams and replays them (running portals join
     in; each event is applied once), then prints the document counts. The portal's views are incomplete while it
     runs.`,
  ],
  notes: [
    `Environment: NATS_URL, STORE_URL (default sqlite:<PERSONA_DATA_DIR or ./data>/persona.db, as 'persona run'),
     ATTENDANCE_TIME_ZONE (default the host's; must be the portal's).`,
  ],
  run: (v, [sub]) =>
    projectionsCommand({
      sub,
      json: v.json,
      settleMs: positiveInt("settle-ms", v["settle-ms"]),
      timeoutMs: seconds("timeout", v.timeout),
    }),
});

const users = defineCommand({
  name: "users",
  summary: "console (portal) users in the store; passwords from a file or stdin, never the command line",
  subcommands: [
    {
      name: "add",
      args: "NAME --role admin|operator|viewer",
      summary: "adds a console user; the password from a file or stdin, never the command line",
      details: "--password-file FILE, or the first line of stdin (on a terminal it is asked for without echo)",
      options: ["password-file", "json"],
    },
    { name: "list", summary: "usernames and roles", options: ["json"] },
    {
      name: "remove",
      args: "NAME",
      summary: "removes the user and ends their sessions (not the last admin)",
      options: ["yes", "json"],
    },
    {
      name: "passwd",
      args: "NAME",
      summary: "sets a new password and ends the user's sessions",
      options: ["password-file", "json"],
    },
  ],
  options: [
    { name: "role", value: "ROLE", help: "add: admin, operator or viewer" },
    { name: "password-file", value: "FILE", help: "add, passwd: read the password from the first line of FILE" },
    { name: "json", help: "print the result as JSON" },
    { name: "yes", short: "y", help: "remove: do not ask first" },
  ],
  description: ["Console (portal) users in the store (STORE_URL, default the 'persona run' SQLite file)."],
  notes: ["Exit code 0 on success, 1 on failure (exists, not found, weak password), 2 on usage errors."],
  run: (v, [sub, ...positionals]) =>
    usersCommand({ sub, positionals, role: v.role, passwordFile: v["password-file"], json: v.json, yes: v.yes }),
});

const report = defineCommand({
  name: "report",
  summary: "attendance reports of sessions: one occurrence, a session's series or a group over a period (CSV, JSON, PDF)",
  arity: { min: 0, max: 0 },
  options: [
    { name: "session", value: "ID", help: "the session: with --date one occurrence, with --from/--to its series' rates" },
    { name: "group", value: "ID", help: "the group: its members' rates over every session in --from..--to" },
    { name: "date", value: "YYYY-MM-DD", help: "the occurrence's local date (with --session)" },
    { name: "from", value: "YYYY-MM-DD", help: "the period's first local date" },
    { name: "to", value: "YYYY-MM-DD", help: "the period's last local date (inclusive)" },
    { name: "threshold", value: "RATE", help: "rates below it are flagged (default 0.75)" },
    { name: "pdf", value: "FILE", help: "write a printable PDF to FILE (an occurrence with the photos, rates with a chart)" },
    { name: "json", help: "print the report as JSON instead of CSV" },
  ],
  description: [
    `Reports on the sessions (classes, exams, events) from the streams (SESSIONS, LIBRARY, SIGHTINGS), replayed through
     the portal's sessions fold; needs no database. --session ID --date D: one occurrence, a row per person (present,
     late, absent, excused, unexpected, probable) and per unknown face. --session ID --from D --to D: each person's
     attendance rate across the session's ended occurrences. --group ID --from D --to D: the group's members' rates
     over every session that expected them. --pdf FILE: the same report printable (A4): an occurrence with each
     person's enrolled photo beside the best capture (from the media stores), the corrections with who made them, the
     unknown faces and an exam's identity report; rates as a table with a bar per person, those below --threshold
     highlighted. Names print with DejaVu Sans (Debian's fonts-dejavu-core); without it, a warning and Latin-1 only.`,
  ],
  notes: [
    "CSV (RFC 4180, CRLF) on stdout by default; with --pdf, the file written (--json: {file, bytes, font, warning}).",
    "Exit code 1 for an unknown session, group or occurrence, or a file that cannot be written.",
  ],
  run: (v) =>
    reportCommand({
      session: v.session,
      group: v.group,
      date: v.date,
      from: v.from,
      to: v.to,
      threshold: v.threshold,
      pdf: v.pdf,
      json: v.json,
    }),
});

/** Every command, in the order `persona help` lists them. */
export const COMMANDS: readonly Command[] = [
  run,
  status,
  importCmd,
  people,
  erase,
  retention,
  identify,
  watch,
  evaluate,
  projections,
  report,
  users,
];

export const findCommand = (name: string): Command | undefined => COMMANDS.find((c) => c.name === name);
