/**
 * The `webhook` notifier: POSTs the normalized event as JSON to a user's URL, signed with every
 * scheme the target has a secret for (REFERENCE.md, "Outgoing webhooks").
 *
 * The body is `{ "id": <event id>, ...event }`, described by the JSON Schema published at
 * `/api/v1/schema/event.json` (`events/deploy-event-schema.ts`). It is serialized once, and the
 * signatures are computed over exactly the bytes sent.
 *
 * Every request goes through `deps.http`, the one client for user-supplied URLs: it refuses
 * redirects and applies the network guard. Timeouts and retries belong to the delivery engine
 * (`context.signal`, `retry` results); answers are read and classified by the kit's answer
 * classifier (`kit/http-answer.ts`), with `410 Gone` disabling the notification.
 *
 * Secrets (the signing secrets, URL credentials, every custom header value) never leave this
 * module in a result: the request facts carry `[redacted]` for them, and every text that came
 * back from the receiver is scrubbed of them in case it echoes the request.
 */
import { z } from "zod";
import { webhookBody } from "../../events/deploy-event-schema.js";
import type { OutboundHttp } from "../../outbound/http-client.js";
import { isHttpUrl } from "../../outbound/http-facts.js";
import { splitCredentials } from "../../outbound/network-guard.js";
import {
  hubSignature256,
  isStandardWebhooksSecret,
  netlifyJws,
  standardWebhookHeaders,
} from "../../outbound/signing.js";
import {
  classifyAnswer,
  classifyRequestError,
  RESPONSE_EXCERPT_LIMIT,
} from "../kit/http-answer.js";
import { memoized } from "../kit/memo.js";
import {
  type AttemptResult,
  defineNotifier,
  type Notifier,
  notAChangeEvent,
  type RequestFacts,
} from "../kit/notifier.js";
import { REDACTED, redactResult, secretScrubber } from "../kit/redact.js";

/** Settings of a `webhook` target (snake_case, as written in the routing file and the API). */
export interface WebhookSettings {
  /**
   * Where to POST the event: an `http(s)` URL. Credentials in it (`https://user:pass@host/`) are
   * not sent in the URL but as `Authorization: Basic …`, unless `headers` sets `Authorization`.
   * Required, no default.
   */
  url: string;
  /**
   * Extra request headers, name → value (at most 20). Names must be HTTP tokens and may not be
   * one Shipcast sets itself (`Content-Type`, `User-Agent`, `X-Shipcast-*`, the signature
   * headers, …). Every value is a secret: write-only through the API, and redacted in the
   * delivery log. Default: `{}` (none).
   */
  headers: Record<string, string>;
  /**
   * HMAC secret: signs the body as `X-Hub-Signature-256: sha256=<hex>`, the way GitHub does.
   * Write-only. Default: none (header not sent).
   */
  secret?: string;
  /**
   * Secret of a Netlify-style JWS: sends `X-Nf-Sign`, a JWT (HS256) with `iss: "shipcast"` and
   * the body's `sha256`. Write-only. Default: none (header not sent).
   */
  jws_secret?: string;
  /**
   * Standard Webhooks secrets (`whsec_` + base64 of a 24 to 64 byte key): sends `webhook-id`,
   * `webhook-timestamp` and `webhook-signature`. Given as one string or a list; while a secret
   * rotates, list the old and the new one and each signs. Write-only. Default: none (headers not
   * sent).
   */
  standard_webhooks_secret?: string[];
  /**
   * Whether the receiver's TLS certificate is verified. Turn off only for a receiver with a
   * self-signed certificate on a network you trust. Default: `true`.
   */
  ssl_verification: boolean;
}

/** At most this many custom headers; more is a misconfiguration, not a use case. */
const MAX_CUSTOM_HEADERS = 20;

/** An HTTP header name: an RFC 7230 token. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value `fetch` can send: no line breaks or other controls, Latin-1 only. */
const HEADER_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;

/**
 * Header names Shipcast sets itself, or that the HTTP client manages (undici refuses
 * `keep-alive`, `upgrade` and `expect`, and ignores `host` and `content-length`).
 */
const RESERVED_HEADERS = new Set([
  "content-type",
  "content-length",
  "host",
  "user-agent",
  "x-hub-signature-256",
  "x-nf-sign",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
]);
/** Every `X-Shipcast-*` name is Shipcast's, including ones added later. */
const RESERVED_PREFIX = "x-shipcast-";

/** Query parameter names whose values are credentials (`?token=…`, `?api_key=…`). */
const SECRET_PARAM_NAME = /auth|cookie|token|secret|key|sign|pass|credential|session/i;
/**
 * The request headers shown in clear in the delivery log: Shipcast's own, which say nothing
 * secret. Every other value (custom headers, `Authorization`, signatures) is redacted.
 */
const CLEAR_HEADERS = new Set([
  "content-type",
  "user-agent",
  "x-shipcast-event",
  "x-shipcast-delivery",
  "webhook-id",
  "webhook-timestamp",
]);

const standardWebhooksSecretSchema = z.string().refine(isStandardWebhooksSecret, {
  error: "must be whsec_ followed by the base64 of a 24 to 64 byte key",
});

const headersSchema = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  const names = Object.keys(headers);
  if (names.length > MAX_CUSTOM_HEADERS) {
    ctx.addIssue({
      code: "custom",
      message: `at most ${MAX_CUSTOM_HEADERS} custom headers (got ${names.length})`,
    });
  }
  const seen = new Set<string>();
  for (const name of names) {
    const lower = name.toLowerCase();
    const problem = !HEADER_NAME.test(name)
      ? "is not a valid header name"
      : RESERVED_HEADERS.has(lower) || lower.startsWith(RESERVED_PREFIX)
        ? "is set by Shipcast and cannot be overridden"
        : seen.has(lower)
          ? "is given twice (header names are case-insensitive)"
          : !HEADER_VALUE.test(headers[name] ?? "")
            ? "has a value with a line break, a control character or a character beyond Latin-1"
            : undefined;
    seen.add(lower);
    if (problem !== undefined) {
      // The name is user text, not a secret; the value never goes into a message.
      ctx.addIssue({ code: "custom", path: [name], message: `header ${problem}` });
    }
  }
});

const settingsSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    headers: headersSchema.default({}),
    secret: z.string().min(1).optional(),
    jws_secret: z.string().min(1).optional(),
    standard_webhooks_secret: z
      .union([standardWebhooksSecretSchema, z.array(standardWebhooksSecretSchema).min(1)])
      .transform((value) => (Array.isArray(value) ? value : [value]))
      .optional(),
    ssl_verification: z.boolean().default(true),
  })
  .strict();

/** Where to send, once the credentials are out of the URL. */
interface Target {
  /** The URL to request: no credentials. */
  url: string;
  /** The URL for the log: no credentials, secret-looking query values redacted. */
  loggedUrl: string;
  /** `Basic …` from the URL's credentials, when it had some. */
  basicAuth?: string;
  /** The credentials' text forms, to scrub from anything the receiver says. */
  secrets: string[];
}

/**
 * Takes `user:pass@` out of the URL as a Basic authorization value (`splitCredentials`, the
 * client's own rule), and notes every form of the credentials for scrubbing.
 *
 * @throws NetworkGuardError when the URL is not http(s).
 */
function targetOf(rawUrl: string): Target {
  const { url, authorization } = splitCredentials(rawUrl);
  const secrets: string[] = [];
  if (authorization !== undefined) {
    const password = new URL(rawUrl).password;
    secrets.push(password, decodeComponent(password), authorization.replace(/^Basic /, ""));
    secrets.push(authorization);
  }
  const logged = new URL(url);
  for (const [name, value] of logged.searchParams) {
    if (SECRET_PARAM_NAME.test(name)) {
      secrets.push(value, encodeURIComponent(value));
      logged.searchParams.set(name, REDACTED);
    }
  }
  return { url, loggedUrl: logged.href, basicAuth: authorization, secrets };
}

/**
 * `targetOf` a target's settings, or why its URL cannot be used, worked out once per settings
 * object: a target's settings stay the same object until its notifications are loaded again, and
 * parsing its URL three times over was a measurable share of every delivery.
 */
const targetsOfSettings = new WeakMap<
  WebhookSettings,
  { url: string; target: Target | { error: string } }
>();

function targetOfSettings(settings: WebhookSettings): Target | { error: string } {
  const known = targetsOfSettings.get(settings);
  // Keyed by the object, checked against its URL: settings changed in place are worked out again.
  if (known !== undefined && known.url === settings.url) return known.target;
  let target: Target | { error: string };
  if (!isHttpUrl(settings.url)) {
    target = { error: "the webhook URL is not an http(s) URL" };
  } else {
    try {
      target = targetOf(settings.url);
    } catch (error) {
      target = { error: (error as Error).message };
    }
  }
  targetsOfSettings.set(settings, { url: settings.url, target });
  return target;
}

/** Percent-decodes a URL component; a malformed escape is taken as written. */
function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The signature headers for every secret the target has, over `body`. */
async function signatureHeaders(
  settings: WebhookSettings,
  deliveryId: string,
  body: string,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  if (settings.secret !== undefined) {
    headers["x-hub-signature-256"] = hubSignature256(settings.secret, body);
  }
  if (settings.jws_secret !== undefined) {
    headers["x-nf-sign"] = await netlifyJws(settings.jws_secret, body);
  }
  // One string too: settings stored by other paths may not have gone through `settings`.
  const secrets = [settings.standard_webhooks_secret ?? []].flat();
  if (secrets.length > 0) {
    Object.assign(
      headers,
      standardWebhookHeaders({
        // The delivery id: stable across retries and re-sends, so receivers can dedupe on it.
        id: deliveryId,
        timestamp: Math.floor(Date.now() / 1000),
        body,
        secrets,
      }),
    );
  }
  return headers;
}

/**
 * Creates the `webhook` notifier. `deps.http` is the outbound client every request goes through;
 * `deps.version` goes into `User-Agent: Shipcast/<version>`.
 */
export function webhookNotifier(deps: {
  http: OutboundHttp;
  version: string;
}): Notifier<WebhookSettings> {
  const { http } = deps;
  return defineNotifier<WebhookSettings>({
    kind: "webhook",
    accepts: notAChangeEvent,
    everyEvent: true,
    settings: settingsSchema,
    async deliver(settings, context) {
      const target = targetOfSettings(settings);
      if ("error" in target) return { outcome: "failed", error: target.error };
      const customHeaders = Object.entries(settings.headers ?? {}).map(
        ([name, value]) => [name.toLowerCase(), value] as const,
      );
      // Every custom header value is a secret, like the signing secrets and URL credentials.
      const secrets = [
        ...target.secrets,
        settings.secret,
        settings.jws_secret,
        ...[settings.standard_webhooks_secret ?? []]
          .flat()
          .flatMap((whsec) => [whsec, whsec.replace(/^whsec_/, "")]),
        ...customHeaders.map(([, value]) => value),
      ];

      // The same bytes for every webhook target of the event: serialized once (kit memo).
      const body = memoized(context.memo, "webhook:body", () =>
        JSON.stringify(webhookBody(context.eventId, context.event)),
      );
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "user-agent": `Shipcast/${deps.version}`,
        "x-shipcast-event": context.event.kind,
        "x-shipcast-delivery": context.deliveryId,
      };
      for (const [name, value] of customHeaders) headers[name] = value;
      // A custom Authorization wins: the user said explicitly what to send.
      if (target.basicAuth !== undefined && headers.authorization === undefined) {
        headers.authorization = target.basicAuth;
      }
      const request = (): RequestFacts => ({
        method: "POST",
        url: target.loggedUrl,
        headers: Object.fromEntries(
          Object.entries(headers).map(([name, value]) => [
            name,
            CLEAR_HEADERS.has(name) ? value : REDACTED,
          ]),
        ),
        body,
      });

      try {
        Object.assign(headers, await signatureHeaders(settings, context.deliveryId, body));
      } catch (error) {
        // Only a stored secret that skipped validation gets here; retrying cannot fix it.
        return redactResult(
          {
            outcome: "failed",
            error: `could not sign the request: ${(error as Error).message}`,
            request: request(),
          },
          secretScrubber(secrets),
        );
      }
      // From here on the signatures are in `headers`; an echo of them is scrubbed too.
      const scrub = secretScrubber(
        [
          ...secrets,
          ...Object.entries(headers)
            .filter(([name]) => !CLEAR_HEADERS.has(name))
            .map(([, value]) => value),
        ],
        memoized(context.memo, "webhook:redacted", () => new Map<string, string>()),
      );

      let result: AttemptResult;
      try {
        const answer = await http.send({
          url: target.url,
          headers,
          body,
          signal: context.signal,
          insecure: settings.ssl_verification === false,
          limit: RESPONSE_EXCERPT_LIMIT,
        });
        result = classifyAnswer(answer, { who: "the receiver", goneDisablesTarget: true });
      } catch (error) {
        result = classifyRequestError(error, context.signal, {
          who: "the receiver",
          tlsHint: "for a self-signed certificate, set ssl_verification: false",
        });
      }
      return redactResult({ ...result, request: request() }, scrub);
    },
  });
}
