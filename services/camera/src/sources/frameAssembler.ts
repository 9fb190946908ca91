/**
 * Cuts a raw video byte stream (frames back to back, no header) into frames, copying each byte once into a
 * preallocated frame buffer (no per-chunk concatenation: ffmpeg's 64 KiB pipe chunks rarely align with frames).
 * Pure: no I/O; the caller feeds chunks and receives complete frames.
 */

export interface AssemblerSink {
  /** Called at the first byte of frame `index` (0, 1, ...): a buffer of `frameBytes` to fill, or null to skip the
   * frame's bytes without copying them (a frame the rate limit does not want). */
  begin(index: number): Uint8Array | null;
  /** Called when the last byte of a frame that got a buffer has arrived. */
  complete(buffer: Uint8Array, index: number): void;
}

export class FrameAssembler {
  #buffer: Uint8Array | null = null;
  #filled = 0;
  #index = 0;
  #inFrame = false;

  constructor(
    readonly frameBytes: number,
    private readonly sink: AssemblerSink,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be a positive integer`);
  }

  /** Frames started so far (complete or not). */
  get framesStarted(): number {
    return this.#index + (this.#inFrame ? 1 : 0);
  }

  /** Bytes of the frame in progress (0 between frames). */
  get partialBytes(): number {
    return this.#inFrame ? this.#filled : 0;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.#inFrame) {
        this.#buffer = this.sink.begin(this.#index);
        if (this.#buffer !== null && this.#buffer.length < this.frameBytes) {
          throw new RangeError(`frame buffer has ${this.#buffer.length} bytes, frames have ${this.frameBytes}`);
        }
        this.#inFrame = true;
        this.#filled = 0;
      }
      const n = Math.min(this.frameBytes - this.#filled, chunk.length - offset);
      if (this.#buffer !== null) this.#buffer.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === this.frameBytes) {
        const index = this.#index;
        const buffer = this.#buffer;
        this.#index++;
        this.#inFrame = false;
        this.#buffer = null;
        if (buffer !== null) this.sink.complete(buffer, index);
      }
    }
  }
}

/**
 * Frame buffers of one size, reused when given back (frames dropped before anyone saw them). Buffers live in a
 * SharedArrayBuffer when `shared`, so detector worker threads read them without a copy.
 */
export class BufferPool {
  #free: Uint8Array[] = [];
  allocated = 0;

  constructor(
    readonly bytes: number,
    readonly shared: boolean,
    private readonly maxFree = 3,
  ) {}

  acquire(): Uint8Array {
    const b = this.#free.pop();
    if (b) return b;
    this.allocated++;
    return new Uint8Array(this.shared ? new SharedArrayBuffer(this.bytes) : new ArrayBuffer(this.bytes));
  }

  /** Gives a buffer back; only call it for a buffer nobody else holds. */
  release(buffer: Uint8Array): void {
    if (buffer.length === this.bytes && this.#free.length < this.maxFree) this.#free.push(buffer);
  }
}
