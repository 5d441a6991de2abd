import type { IncomingMessage, ServerResponse } from "node:http";
import type { InboxWriter } from "../ingest/inbox-writer.js";
import type { Logger } from "../logging/logger.js";
import { redactHeaders } from "../sources/redact-headers.js";
import {
  type EnvironmentSource,
  environmentSourceId,
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

/** Seconds a sender refused for lack of room is told to wait (every sender retries a 503). */
export const BUSY_RETRY_AFTER_SECONDS = 5;

/** What every source route shares: the size limits, the byte budget, the inbox. */
export interface IngestOptions {
  maxPayloadBytes: number;
  /** The bytes of bodies buffered at once, shared by every source route (MAX_INFLIGHT_BYTES). */
  budget: ByteBudget;
  inbox: InboxWriter;
  log: Logger;
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

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") {
      answerUnread(req, res, 405, `use POST to send ${source.title} webhooks here`, {
        allow: "POST",
      });
      return;
    }
    if (receiver === undefined) {
      answerUnread(req, res, 503, offMessage);
      return;
    }
    return ingest(req, res, receiver);
  };
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

  return async function handle(req: IncomingMessage, res: ServerResponse, id: string) {
    if (req.method !== "POST") {
      answerUnread(req, res, 405, "use POST to send webhooks here", { allow: "POST" });
      return;
    }
    const receiver = lookup(id);
    if (receiver === undefined) {
      answerUnread(req, res, 404, NO_SOURCE_MESSAGE);
      return;
    }
    return ingest(req, res, receiver);
  };
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
  ): Promise<void> {
    const { source } = receiver;
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
    const secrets = await secretsPassingHeaders(receiver, req.headers);
    if (secrets.length === 0) {
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
      await verifyStoreAndAnswer(req, res, receiver, secrets, {
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
  ): Promise<void> {
    const { source } = receiver;
    if (source.verifyBody && !(await someSecretSigned(source, secrets, delivery))) {
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
    } catch (error) {
      // Not stored, so not acknowledged: the sender may retry.
      log.error({ err: error, source: source.name }, "could not store an event");
      sendError(res, 503, "the event could not be stored; retry later");
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
