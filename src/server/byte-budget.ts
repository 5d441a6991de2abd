/**
 * The bytes of request bodies held in memory at once across every request (MAX_INFLIGHT_BYTES).
 * Each request takes a reservation that grows as its body arrives (or at once by its
 * Content-Length) and gives it back when the request is done, whatever the path; a request that
 * would go beyond the limit is refused instead of being buffered.
 */
export class ByteBudget {
  #held = 0;

  constructor(readonly limit: number) {}

  /** Bytes reserved right now, by every request together. */
  get held(): number {
    return this.#held;
  }

  /** A new, empty reservation for one request. */
  reservation(): Reservation {
    return new Reservation(this);
  }

  /** @internal Takes `bytes` more when they fit. */
  take(bytes: number): boolean {
    if (this.#held + bytes > this.limit) return false;
    this.#held += bytes;
    return true;
  }

  /** @internal Gives back `bytes`. */
  give(bytes: number): void {
    this.#held -= bytes;
  }
}

/** One request's share of a `ByteBudget`. */
export class Reservation {
  #bytes = 0;
  #released = false;

  constructor(private readonly budget: ByteBudget) {}

  /** Bytes this request holds. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Grows the reservation to `total` bytes (never shrinks it). False, reserving nothing more,
   * when the budget cannot hold that much or the reservation was released.
   */
  ensure(total: number): boolean {
    if (this.#released) return false;
    if (total <= this.#bytes) return true;
    if (!this.budget.take(total - this.#bytes)) return false;
    this.#bytes = total;
    return true;
  }

  /** Gives every byte back; later calls do nothing. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.budget.give(this.#bytes);
    this.#bytes = 0;
  }
}
