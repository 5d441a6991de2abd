/**
 * The `email` notifier: one message per delivery over SMTP through nodemailer, with an HTML and
 * a plain-text part (REFERENCE.md, "Outputs": Email).
 *
 * SMTP gives no idempotency: a timed-out attempt may still have been accepted by the server.
 * Every attempt of one delivery therefore carries the same `Message-ID` and an
 * `X-Shipcast-Delivery` header, so receiving systems and people can tell a re-send from a
 * new notification.
 */
import {
  createTransport,
  type NodemailerError,
  type SentMessageInfo,
  type SMTPSentMessageInfo,
  type SMTPTransportOptions,
  type Transporter,
} from "nodemailer";
import { z } from "zod";
import {
  type AttemptResult,
  defineNotifier,
  type Notifier,
  notAChangeEvent,
} from "../kit/notifier.js";
import { secretScrubber } from "../kit/redact.js";
import { buildEmail } from "./email-message.js";

/** What the `email` notifier needs, built once at start-up. */
export interface EmailNotifierDeps {
  /** The SMTP transport, usually `createSmtpTransport(SMTP_URL)`. */
  transport: Transporter;
  /** The `From` address of every message, e.g. `Shipcast <shipcast@example.com>`. */
  from: string;
}

/** A target's settings: who gets the messages. */
export interface EmailSettings {
  to: string[];
}

/** Validates an `email` target's settings: at least one valid address, nothing else. */
export const emailSettingsSchema = z.strictObject({
  to: z.array(z.email()).min(1),
});

/** Connect, greeting and idle timeouts: SMTP servers answer quickly or not at all. */
const SMTP_TIMEOUT_MS = 10_000;

/**
 * Creates the SMTP transport from `SMTP_URL`: `smtp://user:pass@host:587` (STARTTLS when the
 * server offers it) or `smtps://user:pass@host:465` (TLS from the start). `options` are merged
 * under the URL, which wins where both set a value (nodemailer's own rule).
 *
 * @throws Error when the URL is not an `smtp:` or `smtps:` URL; the message never includes it,
 * since it usually carries the password.
 */
export function createSmtpTransport(
  smtpUrl: string,
  options: SMTPTransportOptions = {},
): Transporter<SMTPSentMessageInfo, SMTPTransportOptions> {
  let protocol: string;
  try {
    protocol = new URL(smtpUrl).protocol;
  } catch {
    throw new Error("SMTP_URL is not a valid URL");
  }
  if (protocol !== "smtp:" && protocol !== "smtps:") {
    throw new Error(`SMTP_URL must be an smtp:// or smtps:// URL, not ${protocol}//`);
  }
  return createTransport({
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    ...options,
    url: smtpUrl,
  });
}

/**
 * The `email` notifier. `deliver` sends one message to all of the target's recipients and
 * classifies the outcome: accepted → `succeeded`; SMTP 5xx, authentication and configuration
 * errors → `failed`; SMTP 4xx, connection errors and the per-attempt timeout → `retry`.
 */
export function emailNotifier(deps: EmailNotifierDeps): Notifier<EmailSettings> {
  const redact = secretScrubber(transportSecrets(deps.transport));
  return defineNotifier<EmailSettings>({
    kind: "email",
    accepts: notAChangeEvent,
    settings: emailSettingsSchema,
    async deliver(settings, context) {
      const { signal } = context;
      if (signal.aborted) return timedOut();
      let content: ReturnType<typeof buildEmail>;
      try {
        content = buildEmail(context.event);
      } catch (error) {
        return { outcome: "failed", error: `could not build the message: ${messageOf(error)}` };
      }
      try {
        const sending = deps.transport.sendMail({
          from: deps.from,
          to: settings.to,
          subject: content.subject,
          text: content.text,
          html: content.html,
          messageId: messageIdFor(context.deliveryId),
          headers: { "X-Shipcast-Delivery": context.deliveryId },
          // nodemailer's SMTP transports close the connection when this aborts.
          signal,
        });
        const info = await untilAborted(sending, signal);
        return accepted(info, redact);
      } catch (error) {
        if (signal.aborted) return timedOut();
        return classifySmtpError(asNodemailerError(error), redact);
      }
    },
  });
}

/**
 * `<deliveryId@shipcast>`, the same for every attempt of a delivery. Delivery ids are ULID-based,
 * but anything outside a dot-atom's safe characters is replaced so the header stays valid.
 */
export function messageIdFor(deliveryId: string): string {
  return `<${deliveryId.replace(/[^A-Za-z0-9_-]/g, "-")}@shipcast>`;
}

const ABORTED = Symbol("aborted");

/**
 * Settles with the send or rejects when the signal aborts, whichever comes first. The SMTP
 * transports honour the signal themselves; this covers transports that do not (a custom or
 * stubbed one), whose send is left to finish in the background: closing the shared transporter
 * would cut other deliveries' connections too.
 */
async function untilAborted<T>(sending: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(ABORTED);
  });
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([sending, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function timedOut(): AttemptResult {
  return { outcome: "retry", error: "timed out" };
}

function accepted(info: SentMessageInfo, redact: (text: string) => string): AttemptResult {
  const reply = typeof info.response === "string" ? info.response : undefined;
  const code = replyCode(reply);
  const rejected = info.rejected ?? [];
  // Some recipients were refused but the message went out to the others: retrying would send
  // it to them again, so the delivery counts as done and the log says who was left out.
  const response =
    rejected.length > 0 ? `${reply ?? ""} (rejected: ${rejected.join(", ")})`.trim() : reply;
  return {
    outcome: "succeeded",
    ...(code === undefined ? {} : { httpStatus: code }),
    ...(response === undefined ? {} : { response: redact(response) }),
  };
}

/** Errors that say the message can never go out as configured: retrying cannot help. */
const CONFIGURATION_CODES = new Set([
  "EAUTH",
  "ENOAUTH",
  "ECONFIG",
  "EENVELOPE",
  "EMAXRECIPIENTS",
  "EREQUIRETLS",
  "EFILEACCESS",
  "EURLACCESS",
]);

/**
 * Sorts a nodemailer error into `retry` or `failed`. The server's reply code decides first
 * (RFC 5321: 5yz permanent, 4yz transient); without one, the error code does: authentication
 * and configuration errors are permanent, connection and protocol errors are not.
 */
function classifySmtpError(
  error: NodemailerError,
  redact: (text: string) => string,
): AttemptResult {
  const responseCode = typeof error.responseCode === "number" ? error.responseCode : undefined;
  const facts = {
    ...(responseCode === undefined ? {} : { httpStatus: responseCode }),
    ...(typeof error.response === "string" ? { response: redact(error.response) } : {}),
  };
  const description = redact(describeError(error));
  if (error.code === "EABORT") return timedOut();

  const rejected = error.rejectedErrors ?? [];
  if (rejected.length > 0) {
    // Every recipient was refused: only when all refusals are permanent is the message dead;
    // one deferred recipient (4xx) makes a later attempt worthwhile.
    const permanent = rejected.every((rejection) => isPermanentCode(rejection.responseCode));
    return permanent
      ? { outcome: "failed", error: description, ...facts }
      : { outcome: "retry", error: description, ...facts };
  }
  if (responseCode !== undefined) {
    return isPermanentCode(responseCode)
      ? { outcome: "failed", error: description, ...facts }
      : { outcome: "retry", error: description, ...facts };
  }
  if (error.code !== undefined && CONFIGURATION_CODES.has(error.code)) {
    return { outcome: "failed", error: description, ...facts };
  }
  // ECONNECTION, ETIMEDOUT, ESOCKET (ECONNREFUSED, ECONNRESET), EDNS, ETLS, EPROXY, EPROTOCOL
  // and anything unknown: the server or the network may be back later, and retries are capped.
  return { outcome: "retry", error: description, ...facts };
}

/**
 * 5yz is a permanent rejection, except 503 (bad sequence of commands), which says the session
 * was in the wrong state rather than that the message was refused: a new connection may work.
 */
function isPermanentCode(code: number | undefined): boolean {
  return code !== undefined && code >= 500 && code <= 599 && code !== 503;
}

function replyCode(reply: string | undefined): number | undefined {
  const match = reply === undefined ? null : /^([2-5]\d\d)\b/.exec(reply);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** `SMTP <code> (<system code>): message`, e.g. `SMTP ESOCKET (ECONNREFUSED): connect …`. */
function describeError(error: NodemailerError): string {
  const codes = [error.code, error.originalCode].filter(
    (code, i, all): code is string => typeof code === "string" && all.indexOf(code) === i,
  );
  const prefix =
    codes.length === 0 ? "SMTP" : `SMTP ${codes[0]}${codes[1] ? ` (${codes[1]})` : ""}`;
  return `${prefix}: ${messageOf(error)}`;
}

/** Transports reject with Errors, but a custom one could reject with anything. */
function asNodemailerError(error: unknown): NodemailerError {
  return error instanceof Error ? error : new Error(String(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface AuthLike {
  user?: unknown;
  pass?: unknown;
  accessToken?: unknown;
  refreshToken?: unknown;
  clientSecret?: unknown;
}

/**
 * The credentials the transport was configured with, in every form they could come back in
 * an error: as given and base64 as sent by AUTH PLAIN and LOGIN (a server may echo what it was
 * sent); the redactor adds the URL-encoded form (as written in `SMTP_URL`).
 */
function transportSecrets(transport: Transporter): string[] {
  const inner = transport as unknown as {
    options?: { auth?: AuthLike };
    transporter?: { options?: { auth?: AuthLike } };
  };
  const secrets = new Set<string>();
  for (const auth of [inner.options?.auth, inner.transporter?.options?.auth]) {
    if (auth === undefined || auth === null || typeof auth !== "object") continue;
    const user = typeof auth.user === "string" ? auth.user : "";
    for (const value of [auth.pass, auth.accessToken, auth.refreshToken, auth.clientSecret]) {
      if (typeof value !== "string" || value === "") continue;
      secrets.add(value);
      secrets.add(Buffer.from(value).toString("base64"));
      secrets.add(Buffer.from(`\u0000${user}\u0000${value}`).toString("base64"));
    }
  }
  return [...secrets];
}
