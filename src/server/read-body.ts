import type { IncomingMessage } from "node:http";

/** The body is larger than allowed: answered 413. */
export class PayloadTooLargeError extends Error {
  override name = "PayloadTooLargeError";
  constructor(readonly limit: number) {
    super(`payload larger than ${limit} bytes`);
  }
}

/** The client went away before the body was complete: nothing to answer, nothing stored. */
export class RequestAbortedError extends Error {
  override name = "RequestAbortedError";
}

/**
 * Reads the request body, refusing it as soon as it exceeds `limit` bytes: from the
 * `Content-Length` header before reading anything, else while the chunks stream in, so an
 * oversized body is never buffered whole.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new PayloadTooLargeError(limit));
      return;
    }
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
      if (error) reject(error);
      else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        finish(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      finish(null, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
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
