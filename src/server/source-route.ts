import type { IncomingMessage, ServerResponse } from "node:http";
import type { InboxWriter } from "../ingest/inbox-writer.js";
import type { Logger } from "../logging/logger.js";
import { redactHeaders } from "../sources/redact-headers.js";
import { MalformedBodyError, type SourceDefinition } from "../sources/source.js";
import { newId } from "../store/ids.js";
import { PayloadTooLargeError, RequestAbortedError, readBody } from "./read-body.js";
import { mediaTypeOf, sendError, sendJson } from "./respond.js";

export interface SourceRouteOptions {
  source: SourceDefinition;
  /** The source's secret; undefined means the source is off (503). */
  secret: string | undefined;
  maxPayloadBytes: number;
  inbox: InboxWriter;
  log: Logger;
}

/**
 * The ingest path of one source: verify, store, acknowledge, and nothing else. Every answer is
 * decided here so that no input can escape as an unhandled error.
 */
export function createSourceRoute(options: SourceRouteOptions) {
  const { source, secret, maxPayloadBytes, inbox, log } = options;
  const offMessage = `The ${source.title} source is off: set ${source.secretSetting} to enable it`;

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") {
      sendError(res, 405, `use POST to send ${source.title} webhooks here`, { allow: "POST" });
      return;
    }
    if (secret === undefined) {
      sendError(res, 503, offMessage);
      return;
    }
    const mediaType = mediaTypeOf(req.headers["content-type"]);
    if (!source.mediaTypes.includes(mediaType)) {
      sendError(
        res,
        415,
        `unsupported content type "${mediaType || "(none)"}": send ${source.mediaTypes.join(" or ")}`,
      );
      return;
    }

    let rawBody: Buffer;
    try {
      rawBody = await readBody(req, maxPayloadBytes);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        // Stop reading: the rest of an oversized body is not worth receiving.
        sendError(res, 413, `payload larger than ${maxPayloadBytes} bytes`, {
          connection: "close",
        });
        return;
      }
      if (error instanceof RequestAbortedError) return;
      throw error;
    }

    const delivery = { headers: req.headers, rawBody, mediaType };
    if (!(await source.verify(secret, delivery))) {
      sendError(res, 401, `missing or invalid ${source.title} signature`);
      return;
    }

    let accepted: ReturnType<SourceDefinition["accept"]>;
    try {
      accepted = source.accept(delivery);
    } catch (error) {
      if (error instanceof MalformedBodyError) {
        sendError(res, 400, `malformed body: ${error.message}`);
        return;
      }
      throw error;
    }

    try {
      const outcome = await inbox.write({
        id: newId("evt"),
        source: source.name,
        dedupeKey: accepted.dedupeKey,
        eventName: accepted.eventName,
        receivedAt: new Date().toISOString(),
        headers: JSON.stringify(redactHeaders(req.headers)),
        body: accepted.payloadText,
        status: "pending",
        reason: null,
      });
      sendJson(
        res,
        202,
        outcome.duplicate ? { id: outcome.id, duplicate: true } : { id: outcome.id },
      );
    } catch (error) {
      // Not stored, so not acknowledged: the sender may retry.
      log.error({ err: error, source: source.name }, "could not store an event");
      sendError(res, 503, "the event could not be stored; retry later");
    }
  };
}
