import type { IncomingMessage } from "node:http";
import type { Reservation } from "./byte-budget.js";

/** The body is larger than allowed: answered 413. */
export class PayloadTooLargeError extends Error {
  override name = "PayloadTooLargeError";
  constructor(readonly limit: number) {
    super(`payload larger than ${limit} bytes`);
  }
}

/** Holding this body would take the bytes buffered at once beyond their limit: answered 503. */
export class InflightLimitError extends Error {
  override name = "InflightLimitError";
}

/** The client went away before the body was complete: nothing to answer, nothing stored. */
export class RequestAbortedError extends Error {
  override name = "RequestAbortedError";
}

/**
 * Reads the request body, refusing it as soon as it exceeds `limit` bytes: from the
 * `Content-Length` header before reading anything, else while the chunks stream in, so an
 * oversized body is never buffered whole. With a `reservation`, the bytes held are reserved
 * first: the whole declared length before reading, else each chunk as it arrives; when the budget
 * cannot hold them, reading stops with an `InflightLimitError`. The caller releases the
 * reservation once it no longer holds the body.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  reservation?: Reservation,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new PayloadTooLargeError(limit));
      return;
    }
    if (reservation && Number.isFinite(declared) && !reservation.ensure(declared)) {
      reject(new InflightLimitError("too many bytes in flight"));
      return;
    }
    // With a declared length the bytes go straight into one buffer of that size (allocated at
    // the first byte), instead of chunks joined at the end: the body is held once, not twice.
    const sized = Number.isFinite(declared) ? declared : undefined;
    let whole: Buffer | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (error: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("aborted", onAborted);
      req.off("close", onClose);
      // Drop what was read: on an error the caller answers without the body.
      chunks.length = 0;
      whole = undefined;
      if (error) reject(error);
      else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer) => {
      const offset = received;
      received += chunk.length;
      if (received > limit) {
        finish(new PayloadTooLargeError(limit));
        return;
      }
      if (reservation && !reservation.ensure(received)) {
        finish(new InflightLimitError("too many bytes in flight"));
        return;
      }
      // Node's parser never delivers more than the declared length.
      if (sized !== undefined) {
        whole ??= Buffer.allocUnsafe(sized);
        chunk.copy(whole, offset);
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      if (sized !== undefined) finish(null, (whole ?? Buffer.alloc(0)).subarray(0, received));
      else
        finish(null, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
    };
    const onAborted = () => finish(new RequestAbortedError("client aborted the request"));
    const onClose = () => {
      if (!req.complete) finish(new RequestAbortedError("connection closed before the body ended"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("aborted", onAborted);
    req.on("close", onClose);
    // Socket errors surface here; without a listener they would be thrown.
    req.on("error", (error) => finish(new RequestAbortedError(error.message)));
  });
}
