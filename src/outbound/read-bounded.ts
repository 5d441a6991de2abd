import type { Readable } from "node:stream";

/**
 * The first `limit` bytes of `body` decoded as UTF-8; the rest is never read: the stream is
 * destroyed, so a peer streaming without end holds neither memory nor the caller. A body cut off
 * mid-stream (the peer closed the connection, the request's signal aborted) is no error: what
 * arrived is kept. A character split by the limit is dropped rather than shown as U+FFFD.
 */
export async function readBounded(body: Readable, limit: number): Promise<string> {
  // Streaming decode: an incomplete trailing character stays in the decoder, unshown.
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  try {
    if (limit > 0) {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        const kept = chunk.subarray(0, limit - size);
        text += decoder.decode(kept, { stream: true });
        size += kept.byteLength;
        if (size >= limit) break;
      }
    }
  } catch {
    // Cut off mid-stream: what arrived is the text.
  } finally {
    // Breaking out of the loop destroys the stream already; a limit of 0 never started it.
    if (!body.destroyed && !body.readableEnded) body.destroy();
  }
  return text;
}
