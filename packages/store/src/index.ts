/** The document store's interface and query types: every type of types.ts. */
export type * from "./types.ts";
export { StoreConflictError, StoreError, StoreValidationError } from "./errors.ts";
export { type SqliteStoreOptions, openSqliteStore } from "./sqlite.ts";
export { type MongoStoreOptions, type MongoWriteConcern, openMongoStore } from "./mongo.ts";
export {
  DEFAULT_STORE_URL,
  StoreConfig,
  type StoreConfigInput,
  type StoreTarget,
  openStore,
  parseStoreUrl,
  redactStoreUrl,
  storeConfigFromEnv,
} from "./open.ts";
export {
  Day,
  EntityId,
  ObjectKey,
  type Page,
  UtcTime,
  type UtcTimeInput,
  ValidatedCollection,
  foldKey,
} from "./repositories/common.ts";
export {
  PEOPLE_COLLECTION,
  PeopleRepository,
  PersonDoc,
  type PeopleQuery,
  type PersonInput,
} from "./repositories/peopleRepository.ts";
export {
  PRESENCE_COLLECTION,
  PresenceDoc,
  PresenceRepository,
  type PresenceInput,
  presenceId,
} from "./repositories/presenceRepository.ts";
export {
  SIGHTINGS_COLLECTION,
  SightingDoc,
  SightingsRepository,
  type SightingInput,
  type SightingsQuery,
} from "./repositories/sightingsRepository.ts";
export {
  ALERTS_COLLECTION,
  AlertDoc,
  AlertSeverity,
  AlertStatus,
  AlertsRepository,
  type AlertInput,
  type AlertsQuery,
} from "./repositories/alertsRepository.ts";
export {
  ATTENDANCE_COLLECTION,
  AttendanceDoc,
  AttendanceRepository,
  type AttendanceInput,
  type AttendanceQuery,
  attendanceId,
} from "./repositories/attendanceRepository.ts";
export { USERS_COLLECTION, UserDoc, UserRole, UsersRepository, type UserInput } from "./repositories/usersRepository.ts";
export {
  BOT_CHATS_COLLECTION,
  BotChatDoc,
  BotChatsRepository,
  type BotChatInput,
  botChatId,
} from "./repositories/botChatsRepository.ts";
