/**
 * Starts a build at any URL: the `build.requested` event is POSTed there exactly as an outgoing
 * webhook sends an event (the `webhook` notifier does the sending): JSON body `{id, ...event}`,
 * `X-Shipcast-Event: build.requested`, `X-Shipcast-Delivery` (stable across retries), the
 * signatures the hook has secrets for, custom headers, through the guarded client (network
 * guard, no redirects), and the same classification of answers.
 *
 * One difference: a `410 Gone` fails the attempt but disables nothing (a build hook has no
 * delivery health to track).
 */
import type { OutboundHttp } from "../../outbound/http-client.js";
import type { BuildStarter, UrlTarget } from "../kit/build-hook.js";
import type { AttemptResult } from "../kit/notifier.js";
import { type WebhookSettings, webhookNotifier } from "./webhook.js";

/** What the starter needs: the outbound client and Shipcast's version (`User-Agent`). */
export interface BuildHookUrlDeps {
  http: OutboundHttp;
  version: string;
}

/** The starter of `url` targets, and the check of such a target's settings. */
export interface BuildHookUrlStarter {
  start: BuildStarter<UrlTarget>;
  /**
   * The problems of a URL target's settings, by field, as the `webhook` notifier judges them
   * (the same rules as a webhook notification's); empty when it is valid.
   */
  problems(target: UrlTarget): Array<{ field: string; message: string }>;
}

/** The webhook settings a URL target stands for. */
function webhookSettingsOf(target: UrlTarget): Record<string, unknown> {
  const settings: Record<string, unknown> = {
    url: target.url,
    headers: target.headers ?? {},
    ssl_verification: target.ssl_verification !== false,
  };
  if (target.secret !== undefined) settings.secret = target.secret;
  if (target.jws_secret !== undefined) settings.jws_secret = target.jws_secret;
  if (target.standard_webhooks_secret !== undefined) {
    settings.standard_webhooks_secret = target.standard_webhooks_secret;
  }
  return settings;
}

/** Creates the starter of `url` targets. */
export function buildHookUrl(deps: BuildHookUrlDeps): BuildHookUrlStarter {
  const webhook = webhookNotifier(deps);
  return {
    problems(target) {
      const parsed = webhook.settings.safeParse(webhookSettingsOf(target));
      if (parsed.success) return [];
      return parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join(".") || "(target)",
        message: issue.message,
      }));
    },
    async start(target, context) {
      const parsed = webhook.settings.safeParse(webhookSettingsOf(target));
      if (!parsed.success) {
        return { outcome: "failed", error: "the hook's URL target is not valid any more" };
      }
      const result: AttemptResult = await webhook.deliver(parsed.data as WebhookSettings, context);
      if (result.disableTarget === undefined) return result;
      const { disableTarget: _gone, ...rest } = result;
      return { ...rest, outcome: "failed", error: "the receiver answered 410 Gone" };
    },
  };
}
