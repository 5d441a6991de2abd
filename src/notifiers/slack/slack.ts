/**
 * The `slack` notifier: posts the event's Block Kit message to a Slack incoming webhook
 * (REFERENCE.md, "Outputs": Slack incoming webhook) and classifies Slack's answer.
 *
 * `@slack/webhook` builds and sends the request, but through `deps.http.fetch`, the one client
 * for user-supplied URLs, so its redirect and network rules hold here too. The library's own
 * retries and timeout are off: the delivery engine owns both (it retries on `retry` results and
 * aborts `context.signal` at the per-attempt timeout).
 *
 * Messages to one webhook URL are paced (`SlackPacer`, one per `intervalMs`), since Slack
 * answers a burst with 429s. An attempt waits for its slot only as long as its time allows;
 * when the slot is further away it is not sent and asks to be retried when the slot comes.
 *
 * The webhook URL is a credential (its path is the token), so nothing returned from here may
 * contain it: every error and response text is passed through `redactUrl` on the way out.
 */
import { setTimeout as sleep } from "node:timers/promises";
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
  type AttemptResult,
  type DeliveryContext,
  defineNotifier,
  type Notifier,
  notAChangeEvent,
} from "../kit/notifier.js";
import { redactResult, redactSecrets, secretScrubber } from "../kit/redact.js";
import { buildSlackMessage } from "./slack-message.js";
import { SlackPacer } from "./slack-pacer.js";

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

/** Slack's pace: about one message per second per incoming webhook. */
export const SLACK_INTERVAL_MS = 1_000;

/**
 * How long an attempt may wait for its slot when the engine gives no deadline: half the default
 * attempt timeout, leaving the other half to the request.
 */
const DEFAULT_MAX_WAIT_MS = 5_000;

/** Time kept for the request itself after waiting for a slot, when the deadline is known. */
const SEND_ROOM_MS = 1_000;

/** What the `slack` notifier needs. */
export interface SlackNotifierDeps {
  /** The outbound client every request to the user-supplied webhook URL goes through. */
  http: OutboundHttp;
  /** The least time between two messages to one webhook URL. Default `SLACK_INTERVAL_MS`. */
  intervalMs?: number;
  /**
   * How long an attempt may wait for its slot when its context has no `deadline`. Default 5 s.
   */
  maxWaitMs?: number;
}

/** The response shape `IncomingWebhook` reads (the package does not export its name). */
type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/** What the recording fetch saw of the one request an attempt makes. */
interface Exchange {
  answer?: HttpAnswer;
  error?: unknown;
  /** Not sent: the pacer held the message back (its result says until when). */
  held?: AttemptResult;
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
 * The `fetch` handed to `IncomingWebhook`: waits for the message's turn (`awaitTurn`, right
 * before sending, so nothing stands between the slot and the request), sends through `http`
 * under the attempt's signal and records the answer in `exchange` before the library turns it
 * into an exception. The body is read here once, bounded, and replayed to the library.
 */
function recordingFetch(
  http: OutboundHttp,
  context: DeliveryContext,
  exchange: Exchange,
  awaitTurn: () => Promise<AttemptResult | undefined>,
): FetchFunction {
  const { signal } = context;
  return async (url, init) => {
    exchange.held = await awaitTurn();
    if (exchange.held !== undefined) throw new Error("held back by the pacer");
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

/** How long `context` may wait before sending. */
function waitAllowed(context: DeliveryContext, maxWaitMs: number): number {
  if (context.deadline === undefined) return maxWaitMs;
  return context.deadline - Date.now() - SEND_ROOM_MS;
}

/**
 * Creates the `slack` notifier. `deps.http` is the outbound client every request to the
 * user-supplied webhook URL goes through; messages to one URL are paced `deps.intervalMs` apart.
 */
export function slackNotifier(deps: SlackNotifierDeps): Notifier<SlackSettings> {
  const intervalMs = deps.intervalMs ?? SLACK_INTERVAL_MS;
  const maxWaitMs = deps.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const pacer = new SlackPacer(intervalMs);

  /** Waits for the URL's next slot; a result when the attempt cannot wait that long. */
  async function awaitTurn(
    url: string,
    context: DeliveryContext,
  ): Promise<AttemptResult | undefined> {
    const pace = `Slack's pace of one message per ${intervalMs} ms to this webhook`;
    const allowed = waitAllowed(context, maxWaitMs);
    const slot = pacer.take(url, allowed);
    if ("retryAfterMs" in slot) {
      return {
        outcome: "retry",
        error: `not sent: waiting for ${pace}`,
        retryAfterMs: slot.retryAfterMs,
        notSent: true,
      };
    }
    const waitUntil = Date.now() + allowed;
    let waitMs = slot.waitMs;
    try {
      for (;;) {
        if (waitMs > 0) await sleep(waitMs, undefined, { signal: context.signal });
        // At its slot, the message before may have left late: then this one waits a bit more.
        waitMs = pacer.leave(url);
        if (waitMs === 0) return undefined;
        if (Date.now() + waitMs > waitUntil) {
          return {
            outcome: "retry",
            error: `not sent: waiting for ${pace}`,
            retryAfterMs: waitMs,
            notSent: true,
          };
        }
      }
    } catch {
      return { outcome: "retry", error: `timed out waiting for ${pace}`, notSent: true };
    }
  }

  return defineNotifier<SlackSettings>({
    kind: "slack",
    accepts: notAChangeEvent,
    settings: settingsSchema,
    async deliver(settings, context) {
      if (!isHttpUrl(settings.url)) {
        return { outcome: "failed", error: "the Slack webhook URL is not an http(s) URL" };
      }
      const key = new URL(settings.url).href;
      const exchange: Exchange = {};
      try {
        const message = buildSlackMessage(context.event);
        const webhook = new IncomingWebhook(settings.url, {
          fetch: recordingFetch(deps.http, context, exchange, () => awaitTurn(key, context)),
          timeout: 0,
          retryConfig: { retries: 0 },
        });
        await webhook.send({ text: message.text, blocks: message.blocks });
      } catch (error) {
        // Non-2xx answers land here too; `exchange` says what actually happened.
        exchange.error ??= error;
      }
      if (exchange.held !== undefined) return exchange.held;
      const result =
        exchange.answer !== undefined
          ? classifyAnswer(exchange.answer, SLACK_WORDS)
          : classifyRequestError(exchange.error, context.signal, { who: "Slack" });
      // Slack says the pace was too fast: nothing goes to this URL before it says.
      if (exchange.answer?.status === 429) {
        pacer.holdOff(key, (result.outcome === "retry" && result.retryAfterMs) || intervalMs);
      }
      return redactResult(result, secretScrubber(urlSecrets(settings.url)));
    },
  });
}
