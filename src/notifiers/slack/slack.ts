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
import { isHttpUrl } from "../../outbound/http-facts.js";
import {
  type AnswerWords,
  classifyAnswer,
  classifyRequestError,
  type HttpAnswer,
  readAnswer,
} from "../kit/http-answer.js";
import {
  type DeliveryContext,
  defineNotifier,
  type Notifier,
  notAChangeEvent,
} from "../kit/notifier.js";
import { redactResult, redactSecrets, secretScrubber } from "../kit/redact.js";
import { buildSlackMessage } from "./slack-message.js";

/** Settings of a `slack` target. */
export interface SlackSettings {
  /** The incoming-webhook URL (`https://hooks.slack.com/services/…`): a secret. */
  url: string;
}

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

/** How Slack's answers are told. */
const SLACK_WORDS: AnswerWords = {
  who: "Slack",
  hint: (_answer, said) => ERROR_HINTS[said],
};

/** The response shape `IncomingWebhook` reads (the package does not export its name). */
type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/** What the recording fetch saw of the one request an attempt makes. */
interface Exchange {
  answer?: HttpAnswer;
  error?: unknown;
}

const settingsSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  })
  .strict();

/**
 * The secret forms of a webhook URL: the URL as given and normalized, its path (the token lives
 * there) and its long path segments and query values.
 */
function urlSecrets(url: string): string[] {
  const secrets = [url];
  try {
    const parsed = new URL(url);
    secrets.push(parsed.href);
    const pathAndQuery = `${parsed.pathname}${parsed.search}`;
    if (pathAndQuery.length > 1) secrets.push(pathAndQuery);
    // Team and bot ids are short; the secret part of a Slack URL is 24 characters.
    for (const segment of parsed.pathname.split("/"))
      if (segment.length >= 16) secrets.push(segment);
    for (const value of parsed.searchParams.values()) if (value.length >= 16) secrets.push(value);
  } catch {
    // Not a URL: the string as given is all there is to hide.
  }
  return secrets;
}

/**
 * Replaces the webhook URL, its path and its long path segments in `text`, in the forms an error
 * or an echoing server might use (as given, normalized, percent-encoded).
 */
export function redactUrl(text: string, url: string): string {
  return redactSecrets(text, urlSecrets(url));
}

/**
 * The `fetch` handed to `IncomingWebhook`: sends through `http` under the attempt's signal and
 * records the answer in `exchange` before the library turns it into an exception. The body is
 * read here once, bounded, and replayed to the library.
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
      const answer = await readAnswer(response);
      exchange.answer = answer;
      const replay: FetchResponse = {
        ok: response.ok,
        status: response.status,
        statusText: response.statusText,
        url: response.url,
        headers: response.headers,
        arrayBuffer: async () => new TextEncoder().encode(answer.body).buffer as ArrayBuffer,
        json: async () => JSON.parse(answer.body) as unknown,
        text: async () => answer.body,
      };
      return replay;
    } catch (error) {
      exchange.error = error;
      throw error;
    }
  };
}

/**
 * Creates the `slack` notifier. `deps.http` is the outbound client every request to the
 * user-supplied webhook URL goes through.
 */
export function slackNotifier(deps: { http: OutboundHttp }): Notifier<SlackSettings> {
  return defineNotifier<SlackSettings>({
    kind: "slack",
    accepts: notAChangeEvent,
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
        exchange.answer !== undefined
          ? classifyAnswer(exchange.answer, SLACK_WORDS)
          : classifyRequestError(exchange.error, context.signal, { who: "Slack" });
      return redactResult(result, secretScrubber(urlSecrets(settings.url)));
    },
  });
}
