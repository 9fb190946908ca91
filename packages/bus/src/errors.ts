export class BusError extends Error {
  override name = "BusError";
}

export class PublishError extends BusError {
  override name = "PublishError";
}

export class TopologyError extends BusError {
  override name = "TopologyError";
}

/**
 * A publish with an expected last subject sequence found another message on the subject since (another writer got
 * there first): read the subject again, decide again.
 */
export class WrongLastSequenceError extends BusError {
  override name = "WrongLastSequenceError";
}
