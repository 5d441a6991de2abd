import type { IncomingMessage, ServerResponse } from "node:http";
import type { InboxWriter } from "../ingest/inbox-writer.js";
import type { Logger } from "../logging/logger.js";
import { printable } from "../logging/printable.js";
import { redactHeaders } from "../sources/redact-headers.js";
import {
  header,
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
import { logWebhookRequest, type WebhookRequest } from "./webhook-log.js";

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
  /** Told of every request once answered, after its log line (the metrics). */
  onRequest?: (request: WebhookRequest) => void;
}

/** What the route decided for one request, before its duration and sender id are added. */
type Answer = Pick<WebhookRequest, "status" | "outcome" | "reason" | "detail" | "eventId"> & {
  dedupeKey?: string;
};

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
  const unsigned = `missing or invalid ${source.title} signature`;

  /** Answers a refusal (without reading what is left of the body) and says why, for the log. */
  function refuse(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    message: string,
    why: Pick<Answer, "reason" | "detail">,
    headers?: Record<string, string>,
  ): Answer {
    answerUnread(req, res, status, message, headers);
    return { status, outcome: "rejected", ...why };
  }

  /** Which signature header was missing, or which did not verify: never its value. */
  function signatureProblem(req: IncomingMessage, stage: "headers" | "body") {
    const names = source.signatureHeaders ?? [];
    const present = names.find((name) => header(req.headers, name.toLowerCase()) !== undefined);
    if (names.length > 0 && present === undefined) {
      return {
        reason: "missing_signature" as const,
        detail: `no ${names.join(" or ")} header`,
      };
    }
    const what = present ?? "the signature";
    return {
      reason: "invalid_signature" as const,
      detail:
        stage === "headers"
          ? `${what} does not verify with ${source.secretSetting}`
          : `${what} does not match the body`,
    };
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    // What an escaped error comes to: the server answers it 500.
    let answer: Answer = { status: 500, outcome: "rejected", reason: "internal_error" };
    try {
      answer = await decide(req, res);
    } finally {
      report(req, answer, started);
    }
  };

  function report(req: IncomingMessage, answer: Answer, started: number): void {
    const named = source.deliveryIdHeaders
      ?.map((name) => header(req.headers, name.toLowerCase()))
      .find((value) => value !== undefined);
    const senderId =
      named ?? (answer.dedupeKey?.startsWith("sha256:") ? undefined : answer.dedupeKey);
    const request: WebhookRequest = {
      source: source.name,
      status: answer.status,
      outcome: answer.outcome,
      ...(answer.reason && { reason: answer.reason }),
      ...(answer.detail && { detail: answer.detail }),
      ...(answer.eventId && { eventId: answer.eventId }),
      ...(senderId && { delivery: printable(senderId) }),
      ms: Math.round(performance.now() - started),
    };
    logWebhookRequest(log, request);
    options.onRequest?.(request);
  }

  async function decide(req: IncomingMessage, res: ServerResponse): Promise<Answer> {
    if (req.method !== "POST") {
      return refuse(
        req,
        res,
        405,
        `use POST to send ${source.title} webhooks here`,
        {
          reason: "method_not_allowed",
          detail: `${printable(req.method ?? "?", 20)} instead of POST`,
        },
        { allow: "POST" },
      );
    }
    if (secret === undefined) {
      return refuse(req, res, 503, offMessage, {
        reason: "source_off",
        detail: `the source is off: set ${source.secretSetting}`,
      });
    }
    const mediaType = mediaTypeOf(req.headers["content-type"]);
    if (!source.mediaTypes.includes(mediaType)) {
      return refuse(
        req,
        res,
        415,
        `unsupported content type "${mediaType || "(none)"}": send ${source.mediaTypes.join(" or ")}`,
        {
          reason: "unsupported_media_type",
          detail: `content type "${printable(mediaType || "(none)", 60)}" instead of ${source.mediaTypes.join(" or ")}`,
        },
      );
    }
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxPayloadBytes) {
      return refuse(req, res, 413, tooLarge, {
        reason: "payload_too_large",
        detail: `declared ${declared} bytes, more than MAX_PAYLOAD_BYTES (${maxPayloadBytes})`,
      });
    }
    if (!(await source.verifyHeaders(secret, req.headers))) {
      return refuse(req, res, 401, unsigned, signatureProblem(req, "headers"));
    }

    const reservation = budget.reservation();
    const refuseBusy = () =>
      refuse(
        req,
        res,
        503,
        busy,
        { reason: "busy", detail: "MAX_INFLIGHT_BYTES of bodies in flight already" },
        { "retry-after": String(BUSY_RETRY_AFTER_SECONDS) },
      );
    try {
      // A declared length is reserved whole before anything is read (else chunk by chunk).
      if (Number.isFinite(declared) && !reservation.ensure(declared)) return refuseBusy();
      // Asked to wait for a go-ahead (Expect: 100-continue; the server hands such requests here
      // without answering 100 itself): only now is the body wanted.
      if (/^100-continue$/i.test(req.headers.expect ?? "")) res.writeContinue();
      let rawBody: Buffer;
      try {
        rawBody = await readBody(req, maxPayloadBytes, reservation);
      } catch (error) {
        if (error instanceof PayloadTooLargeError) {
          return refuse(req, res, 413, tooLarge, {
            reason: "payload_too_large",
            detail: `body over MAX_PAYLOAD_BYTES (${maxPayloadBytes})`,
          });
        }
        if (error instanceof InflightLimitError) return refuseBusy();
        if (error instanceof RequestAbortedError) return { status: 0, outcome: "aborted" };
        throw error;
      }
      return await verifyStoreAndAnswer(req, res, secret, {
        headers: req.headers,
        rawBody,
        mediaType,
      });
    } finally {
      reservation.release();
    }
  }

  async function verifyStoreAndAnswer(
    req: IncomingMessage,
    res: ServerResponse,
    secret: string,
    delivery: IncomingDelivery,
  ): Promise<Answer> {
    if (source.verifyBody && !(await source.verifyBody(secret, delivery))) {
      return refuse(req, res, 401, unsigned, signatureProblem(req, "body"));
    }

    let accepted: ReturnType<SourceDefinition["accept"]>;
    try {
      accepted = source.accept(delivery);
    } catch (error) {
      if (error instanceof MalformedBodyError) {
        return refuse(req, res, 400, `malformed body: ${error.message}`, {
          reason: "malformed_body",
          detail: printable(error.message),
        });
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
      return {
        status: 202,
        outcome: outcome.duplicate ? "duplicate" : "accepted",
        eventId: outcome.id,
        dedupeKey: accepted.dedupeKey,
      };
    } catch (error) {
      // Not stored, so not acknowledged: the sender may retry.
      log.error({ err: error, source: source.name }, "could not store an event");
      sendError(res, 503, "the event could not be stored; retry later");
      return {
        status: 503,
        outcome: "rejected",
        reason: "store_unavailable",
        detail: "the event could not be stored",
        dedupeKey: accepted.dedupeKey,
      };
    }
  }
}
