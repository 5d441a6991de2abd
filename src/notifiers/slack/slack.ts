/**
 * The `slack` notifier: posts the event's Block Kit message to a Slack incoming webhook
 * (REFERENCE.md, "Outputs": Slack incoming webhook) and classifies Slack's answer.
 *
 * `@slack/webhook` builds and sends the request, but through `deps.http.fetch`, the one client
 * for user-supplied URLs, so its redirect and network rules hold here too. The library's own
 * retries and timeout are off: the delivery engine owns both (it retries on `retry` results and
 * aborts `context.signal` at the per-attempt timeout).
 *
 * The webhook URL is a credential (its path is the token), so nothing returned from here may
 * contain it: every error and response text is passed through `redactUrl` on the way out.
 */
import { type FetchFunction, IncomingWebhook } from "@slack/webhook";
import { z } from "zod";
import type { OutboundHttp } from "../../outbound/http-client.js";
import {
  CONNECTION_ERRORS,
  errorCode,
  innermostMessage,
  isHttpUrl,
  parseRetryAfter,
} from "../../outbound/http-facts.js";
import { networkGuardRefusal } from "../../outbound/network-guard.js";
import {
  type AttemptResult,
  type DeliveryContext,
  defineNotifier,
  type Notifier,
} from "../kit/notifier.js";
import { buildSlackMessage } from "./slack-message.js";

/** Settings of a `slack` target. */
export interface SlackSettings {
  /** The incoming-webhook URL (`https://hooks.slack.com/services/…`): a secret. */
  url: string;
}

/** Bytes of an answer kept; Slack answers a few bytes, anything longer is not Slack talking. */
const MAX_BODY_BYTES = 16 * 1024;
/** Characters of the answer quoted in an error message. */
const MAX_ERROR_BODY = 300;

/**
 * Slack's documented permanent errors, with what the user should do about them. Other 4xx are
 * permanent too; these only get a better message.
 */
const ERROR_HINTS: Readonly<Record<string, string>> = {
  invalid_payload: "Slack could not parse the message",
  no_text: "the message had no text",
  action_prohibited: "an admin restricted posting to this channel",
  invalid_token: "the webhook was revoked or its URL is wrong",
  channel_not_found: "the channel was deleted or the app lost access to it",
  no_service: "the webhook was disabled or removed",
  channel_is_archived: "the channel is archived",
};

/** The response shape `IncomingWebhook` reads (the package does not export its name). */
type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/** What the recording fetch saw of the one request an attempt makes. */
interface Exchange {
  response?: { status: number; headers: Headers; body: string };
  error?: unknown;
}

const settingsSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  })
  .strict();

/**
 * Replaces the webhook URL, its path (the token lives there) and its long path segments in
 * `text`, in the forms an error or an echoing server might use (as given, normalized,
 * percent-encoded).
 */
export function redactUrl(text: string, url: string): string {
  const secrets = new Set<string>([url]);
  try {
    const parsed = new URL(url);
    secrets.add(parsed.href);
    const pathAndQuery = `${parsed.pathname}${parsed.search}`;
    if (pathAndQuery.length > 1) secrets.add(pathAndQuery);
    // Team and bot ids are short; the secret part of a Slack URL is 24 characters.
    for (const segment of parsed.pathname.split("/"))
      if (segment.length >= 16) secrets.add(segment);
    for (const value of parsed.searchParams.values()) if (value.length >= 16) secrets.add(value);
  } catch {
    // Not a URL: the string as given is all there is to hide.
  }
  let redacted = text;
  const ordered = [...secrets].filter((s) => s !== "").sort((a, b) => b.length - a.length);
  for (const secret of ordered) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      redacted = redacted.split(form).join("[redacted]");
    }
  }
  return redacted;
}

/** Reads at most `MAX_BODY_BYTES` of a body, so a hostile endpoint cannot stream forever. */
async function readBody(response: Response): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_BODY_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= MAX_BODY_BYTES) await reader.cancel().catch(() => undefined);
  const bytes = Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES);
  return new TextDecoder().decode(bytes);
}

/**
 * The `fetch` handed to `IncomingWebhook`: sends through `http` under the attempt's signal and
 * records the answer in `exchange` before the library turns it into an exception. The body is
 * read here once and replayed to the library.
 */
function recordingFetch(
  http: OutboundHttp,
  context: DeliveryContext,
  exchange: Exchange,
): FetchFunction {
  const { signal } = context;
  return async (url, init) => {
    try {
      const response = await http.fetch(url, {
        ...init,
        // Slack ignores it; a self-hosted receiver (or a test) can dedupe re-sends on it.
        headers: {
          ...(init?.headers as Record<string, string>),
          "X-Shipcast-Delivery": context.deliveryId,
        },
        signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
      });
      const body = await readBody(response);
      exchange.response = { status: response.status, headers: response.headers, body };
      const replay: FetchResponse = {
        ok: response.ok,
        status: response.status,
        statusText: response.statusText,
        url: response.url,
        headers: response.headers,
        arrayBuffer: async () => new TextEncoder().encode(body).buffer as ArrayBuffer,
        json: async () => JSON.parse(body) as unknown,
        text: async () => body,
      };
      return replay;
    } catch (error) {
      exchange.error = error;
      throw error;
    }
  };
}

/** The answer's text for a log or a message: one line, short. */
function bodyExcerpt(body: string, max: number): string {
  const line = body.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function classifyResponse(response: NonNullable<Exchange["response"]>): AttemptResult {
  const { status, headers, body } = response;
  const facts = { httpStatus: status, response: body };
  const said = bodyExcerpt(body, MAX_ERROR_BODY);
  const answer = said === "" ? `${status}` : `${status} ${said}`;
  if (status >= 200 && status < 300) return { outcome: "succeeded", ...facts };
  if (status >= 300 && status < 400) {
    return {
      outcome: "failed",
      error: `Slack answered ${status}: redirects are not followed`,
      ...facts,
    };
  }
  const retryAfterMs = parseRetryAfter(headers.get("retry-after"));
  const retryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 429) {
    return {
      outcome: "retry",
      error: `rate limited by Slack (${answer})`,
      ...retryAfter,
      ...facts,
    };
  }
  if (status >= 500 && status < 600) {
    return { outcome: "retry", error: `Slack answered ${answer}`, ...retryAfter, ...facts };
  }
  const hint = ERROR_HINTS[said];
  return {
    outcome: "failed",
    error: `Slack rejected the message: ${answer}${hint === undefined ? "" : ` (${hint})`}`,
    ...facts,
  };
}

function classifyError(error: unknown, signal: AbortSignal): AttemptResult {
  // The network guard refused the address: permanent until the settings change. Its message
  // names the host, never the URL's path.
  const refusal = networkGuardRefusal(error);
  if (refusal !== undefined) return { outcome: "failed", error: refusal.message };
  // The engine aborts the signal exactly when the attempt's time is up.
  if (signal.aborted) return { outcome: "retry", error: "timed out waiting for Slack" };
  const code = errorCode(error);
  const known = code === undefined ? undefined : CONNECTION_ERRORS[code];
  if (known !== undefined) return { outcome: "retry", error: `${known} (${code})` };
  if (code?.startsWith("ERR_TLS") || code?.includes("CERT")) {
    return { outcome: "retry", error: `TLS error (${code}): ${innermostMessage(error)}` };
  }
  return {
    outcome: "retry",
    error: `request failed${code === undefined ? "" : ` (${code})`}: ${innermostMessage(error)}`,
  };
}

/** Applies `redactUrl` to everything text-like in a result. */
function redactResult(result: AttemptResult, url: string): AttemptResult {
  const redacted = { ...result };
  if ("error" in redacted) redacted.error = redactUrl(redacted.error, url);
  if (redacted.response !== undefined) redacted.response = redactUrl(redacted.response, url);
  return redacted;
}

/**
 * Creates the `slack` notifier. `deps.http` is the outbound client every request to the
 * user-supplied webhook URL goes through.
 */
export function slackNotifier(deps: { http: OutboundHttp }): Notifier<SlackSettings> {
  return defineNotifier<SlackSettings>({
    kind: "slack",
    settings: settingsSchema,
    async deliver(settings, context) {
      if (!isHttpUrl(settings.url)) {
        return { outcome: "failed", error: "the Slack webhook URL is not an http(s) URL" };
      }
      const exchange: Exchange = {};
      try {
        const message = buildSlackMessage(context.event);
        const webhook = new IncomingWebhook(settings.url, {
          fetch: recordingFetch(deps.http, context, exchange),
          timeout: 0,
          retryConfig: { retries: 0 },
        });
        await webhook.send({ text: message.text, blocks: message.blocks });
      } catch (error) {
        // Non-2xx answers land here too; `exchange` says what actually happened.
        exchange.error ??= error;
      }
      const result =
        exchange.response !== undefined
          ? classifyResponse(exchange.response)
          : classifyError(exchange.error, context.signal);
      return redactResult(result, settings.url);
    },
  });
}
