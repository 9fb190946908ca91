export class BusError extends Error {
  override name = "BusError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class PublishError extends BusError {
  override name = "PublishError";
}

export class TopologyError extends BusError {
  override name = "TopologyError";
}
