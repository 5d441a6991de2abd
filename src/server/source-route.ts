import type { IncomingMessage, ServerResponse } from "node:http";
import type { InboxWriter } from "../ingest/inbox-writer.js";
import type { Logger } from "../logging/logger.js";
import { printable } from "../logging/printable.js";
import { redactHeaders } from "../sources/redact-headers.js";
import {
  type EnvironmentSource,
  environmentSourceId,
  header,
  type IncomingDelivery,
  MalformedBodyError,
  type SourceDefinition,
  type SourceReceiver,
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

/** What every source route shares: the size limits, the byte budget, the inbox. */
export interface IngestOptions {
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

/**
 * Runs `decide` for one request, then writes its one log line and tells `onRequest` (the
 * metrics): source, status, event id or the reason, the sender's delivery id, duration.
 */
function observed<A extends unknown[]>(
  options: IngestOptions,
  sourceOf: (req: IncomingMessage, ...args: A) => SourceDefinition | undefined,
  fallbackName: string,
  decide: (req: IncomingMessage, res: ServerResponse, ...args: A) => Promise<Answer>,
) {
  return async (req: IncomingMessage, res: ServerResponse, ...args: A): Promise<void> => {
    const started = performance.now();
    // What an escaped error comes to: the server answers it 500.
    let answer: Answer = { status: 500, outcome: "rejected", reason: "internal_error" };
    try {
      answer = await decide(req, res, ...args);
    } finally {
      const source = sourceOf(req, ...args);
      const named = source?.deliveryIdHeaders
        ?.map((name) => header(req.headers, name.toLowerCase()))
        .find((value) => value !== undefined);
      const senderId =
        named ?? (answer.dedupeKey?.startsWith("sha256:") ? undefined : answer.dedupeKey);
      const request: WebhookRequest = {
        source: source?.name ?? fallbackName,
        status: answer.status,
        outcome: answer.outcome,
        ...(answer.reason && { reason: answer.reason }),
        ...(answer.detail && { detail: answer.detail }),
        ...(answer.eventId && { eventId: answer.eventId }),
        ...(senderId && { delivery: printable(senderId) }),
        ms: Math.round(performance.now() - started),
      };
      logWebhookRequest(options.log, request);
      options.onRequest?.(request);
    }
  };
}

/** Which signature header was missing, or which did not verify: never its value. */
function signatureProblem(
  receiver: SourceReceiver,
  req: IncomingMessage,
  stage: "headers" | "body",
) {
  const { source } = receiver;
  const names = source.signatureHeaders ?? [];
  const present = names.find((name) => header(req.headers, name.toLowerCase()) !== undefined);
  if (names.length > 0 && present === undefined) {
    return { reason: "missing_signature" as const, detail: `no ${names.join(" or ")} header` };
  }
  const what = present ?? "the signature";
  const key =
    "secretSetting" in source && receiver.sourceId === environmentSourceId(source.name)
      ? String(source.secretSetting)
      : `the secret of source ${receiver.sourceId}`;
  return {
    reason: "invalid_signature" as const,
    detail:
      stage === "headers"
        ? `${what} does not verify with ${key}`
        : `${what} does not match the body`,
  };
}

export interface SourceRouteOptions extends IngestOptions {
  source: EnvironmentSource;
  /** The source's secret; undefined means the source is off (503). */
  secret: string | undefined;
}

/** The per-source route's path: `/api/sources/<id>/webhooks`. */
export const PER_SOURCE_ROUTE = /^\/api\/sources\/([^/]+)\/webhooks$/;

/**
 * The route of an environment-variable source (`/api/github/webhooks`…): off (503, naming the
 * setting) while its secret is unset.
 */
export function createSourceRoute(options: SourceRouteOptions) {
  const { source, secret } = options;
  const offMessage = `The ${source.title} source is off: set ${source.secretSetting} to enable it`;
  const ingest = createIngest(options);
  const receiver: SourceReceiver | undefined =
    secret === undefined
      ? undefined
      : { source, secrets: [secret], sourceId: environmentSourceId(source.name), dedupeScope: "" };

  return observed(
    options,
    () => source,
    source.name,
    async (req: IncomingMessage, res: ServerResponse): Promise<Answer> => {
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
      if (receiver === undefined) {
        return refuse(req, res, 503, offMessage, {
          reason: "source_off",
          detail: `the source is off: set ${source.secretSetting}`,
        });
      }
      return ingest(req, res, receiver);
    },
  );
}

/** How the per-source route finds a source: undefined for an unknown or disabled id. */
export type SourceLookup = (id: string) => SourceReceiver | undefined;

/** The one answer to an unknown and to a disabled source id: nothing tells them apart. */
export const NO_SOURCE_MESSAGE = "no enabled source with this id";

/**
 * `POST /api/sources/<id>/webhooks`: the route of every source managed through the API. The
 * source and its secrets come from memory (`lookup`, decrypted when loaded), never from the
 * store on the request path, so this route is as fast as the others and answers the same.
 * Unknown and disabled ids get the same 404 (status, body and headers), before the body is read.
 */
export function createSourcesRoute(options: IngestOptions & { lookup: SourceLookup }) {
  const { lookup } = options;
  const ingest = createIngest(options);

  return observed(
    options,
    (_req: IncomingMessage, id: string) => lookup(id)?.source,
    "sources",
    async (req: IncomingMessage, res: ServerResponse, id: string): Promise<Answer> => {
      if (req.method !== "POST") {
        return refuse(
          req,
          res,
          405,
          "use POST to send webhooks here",
          {
            reason: "method_not_allowed",
            detail: `${printable(req.method ?? "?", 20)} instead of POST`,
          },
          { allow: "POST" },
        );
      }
      const receiver = lookup(id);
      if (receiver === undefined) {
        return refuse(req, res, 404, NO_SOURCE_MESSAGE, {
          reason: "unknown_source",
          detail: `no enabled source ${printable(id, 40)}`,
        });
      }
      return ingest(req, res, receiver);
    },
  );
}

/**
 * The ingest path of one source: verify, store, acknowledge, and nothing else. Everything the
 * headers can decide is decided before a byte of the body is read (content type, declared size,
 * the header part of the signature, room in the byte budget); the body is then read within the
 * budget and its signature checked on the exact bytes. Every answer is decided here so that no
 * input can escape as an unhandled error.
 */
function createIngest(options: IngestOptions) {
  const { maxPayloadBytes, budget, inbox, log } = options;
  const tooLarge = `payload larger than ${maxPayloadBytes} bytes`;
  const busy = "too many webhook bytes in flight; retry later";

  return async function ingest(
    req: IncomingMessage,
    res: ServerResponse,
    receiver: SourceReceiver,
  ): Promise<Answer> {
    const { source } = receiver;
    const unsigned = `missing or invalid ${source.title} signature`;
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
    const secrets = await secretsPassingHeaders(receiver, req.headers);
    if (secrets.length === 0) {
      return refuse(req, res, 401, unsigned, signatureProblem(receiver, req, "headers"));
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
      return await verifyStoreAndAnswer(req, res, receiver, secrets, {
        headers: req.headers,
        rawBody,
        mediaType,
      });
    } finally {
      reservation.release();
    }
  };

  async function verifyStoreAndAnswer(
    req: IncomingMessage,
    res: ServerResponse,
    receiver: SourceReceiver,
    secrets: readonly string[],
    delivery: IncomingDelivery,
  ): Promise<Answer> {
    const { source } = receiver;
    if (source.verifyBody && !(await someSecretSigned(source, secrets, delivery))) {
      return refuse(
        req,
        res,
        401,
        `missing or invalid ${source.title} signature`,
        signatureProblem(receiver, req, "body"),
      );
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
        sourceId: receiver.sourceId,
        dedupeKey: receiver.dedupeScope + accepted.dedupeKey,
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

/** The secrets whose header check passes (all of them when the check does not use the secret). */
async function secretsPassingHeaders(
  receiver: SourceReceiver,
  headers: IncomingMessage["headers"],
): Promise<string[]> {
  const passing: string[] = [];
  for (const secret of receiver.secrets) {
    if (await receiver.source.verifyHeaders(secret, headers)) passing.push(secret);
  }
  return passing;
}

/** Whether one of the secrets signed the exact bytes. */
async function someSecretSigned(
  source: SourceDefinition,
  secrets: readonly string[],
  delivery: IncomingDelivery,
): Promise<boolean> {
  for (const secret of secrets) {
    if (await source.verifyBody?.(secret, delivery)) return true;
  }
  return false;
}
