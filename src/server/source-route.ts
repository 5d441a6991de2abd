import type { IncomingMessage, ServerResponse } from "node:http";
import type { InboxWriter } from "../ingest/inbox-writer.js";
import type { Logger } from "../logging/logger.js";
import { redactHeaders } from "../sources/redact-headers.js";
import {
  type IncomingDelivery,
  MalformedBodyError,
  type SourceDefinition,
} from "../sources/source.js";
import { newId } from "../store/ids.js";
import { answerUnread } from "./answer-unread.js";
import type { ByteBudget } from "./byte-budget.js";
import {
  InflightLimitError,
  PayloadTooLargeError,
  RequestAbortedError,
  readBody,
} from "./read-body.js";
import { mediaTypeOf, sendError, sendJson } from "./respond.js";

/** Seconds a sender refused for lack of room is told to wait (every sender retries a 503). */
export const BUSY_RETRY_AFTER_SECONDS = 5;

export interface SourceRouteOptions {
  source: SourceDefinition;
  /** The source's secret; undefined means the source is off (503). */
  secret: string | undefined;
  maxPayloadBytes: number;
  /** The bytes of bodies buffered at once, shared by every source route (MAX_INFLIGHT_BYTES). */
  budget: ByteBudget;
  inbox: InboxWriter;
  log: Logger;
}

/**
 * The ingest path of one source: verify, store, acknowledge, and nothing else. Everything the
 * headers can decide is decided before a byte of the body is read (method, source off, content
 * type, declared size, the header part of the signature, room in the byte budget); the body is
 * then read within the budget and its signature checked on the exact bytes. Every answer is
 * decided here so that no input can escape as an unhandled error.
 */
export function createSourceRoute(options: SourceRouteOptions) {
  const { source, secret, maxPayloadBytes, budget, inbox, log } = options;
  const offMessage = `The ${source.title} source is off: set ${source.secretSetting} to enable it`;
  const tooLarge = `payload larger than ${maxPayloadBytes} bytes`;
  const busy = "too many webhook bytes in flight; retry later";

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") {
      answerUnread(req, res, 405, `use POST to send ${source.title} webhooks here`, {
        allow: "POST",
      });
      return;
    }
    if (secret === undefined) {
      answerUnread(req, res, 503, offMessage);
      return;
    }
    const mediaType = mediaTypeOf(req.headers["content-type"]);
    if (!source.mediaTypes.includes(mediaType)) {
      answerUnread(
        req,
        res,
        415,
        `unsupported content type "${mediaType || "(none)"}": send ${source.mediaTypes.join(" or ")}`,
      );
      return;
    }
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxPayloadBytes) {
      answerUnread(req, res, 413, tooLarge);
      return;
    }
    if (!(await source.verifyHeaders(secret, req.headers))) {
      answerUnread(req, res, 401, `missing or invalid ${source.title} signature`);
      return;
    }

    const reservation = budget.reservation();
    const refuseBusy = () =>
      answerUnread(req, res, 503, busy, { "retry-after": String(BUSY_RETRY_AFTER_SECONDS) });
    try {
      // A declared length is reserved whole before anything is read (else chunk by chunk).
      if (Number.isFinite(declared) && !reservation.ensure(declared)) {
        refuseBusy();
        return;
      }
      // Asked to wait for a go-ahead (Expect: 100-continue; the server hands such requests here
      // without answering 100 itself): only now is the body wanted.
      if (/^100-continue$/i.test(req.headers.expect ?? "")) res.writeContinue();
      let rawBody: Buffer;
      try {
        rawBody = await readBody(req, maxPayloadBytes, reservation);
      } catch (error) {
        if (error instanceof PayloadTooLargeError) {
          answerUnread(req, res, 413, tooLarge);
          return;
        }
        if (error instanceof InflightLimitError) {
          refuseBusy();
          return;
        }
        if (error instanceof RequestAbortedError) return;
        throw error;
      }
      await verifyStoreAndAnswer(req, res, secret, { headers: req.headers, rawBody, mediaType });
    } finally {
      reservation.release();
    }
  };

  async function verifyStoreAndAnswer(
    req: IncomingMessage,
    res: ServerResponse,
    secret: string,
    delivery: IncomingDelivery,
  ): Promise<void> {
    if (source.verifyBody && !(await source.verifyBody(secret, delivery))) {
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
  }
}
