import {
  LIBRARY_EVENT_TYPES,
  type LibraryChange,
  type LibraryEvent,
  type LibraryState,
  emptyLibrary,
  evolve,
} from "./library.ts";
import { type FollowerLog, StreamFold } from "./streamFold.ts";

const LIBRARY_TYPES = new Set<string>(LIBRARY_EVENT_TYPES);

export type { FollowerLog };

/**
 * Follows the LIBRARY stream from its start and folds it into a LibraryState, calling `onChange` for every change.
 * `start` resolves once everything published before it has been applied.
 */
export class LibraryFollower extends StreamFold<LibraryState> {
  constructor(log: FollowerLog, onChange: (change: LibraryChange, state: LibraryState) => void = () => {}) {
    super({
      what: "library",
      stream: "LIBRARY",
      types: LIBRARY_TYPES,
      state: emptyLibrary(),
      apply: (state, env, seq) => onChange(evolve(state, env as LibraryEvent, seq), state),
      log,
    });
  }
}
