import type { z } from "zod";
import type { DeployEvent } from "../../events/deploy-event.js";

/** What a notifier gets for one attempt of one delivery. */
export interface DeliveryContext {
  /** Stable across retries and re-sends: receivers use it as their idempotency key. */
  deliveryId: string;
  /** The inbox event the delivery is about. */
  eventId: string;
  event: DeployEvent;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the per-attempt timeout (`DELIVERY_TIMEOUT_MS`) runs out. */
  signal: AbortSignal;
  /**
   * When `signal` aborts (epoch milliseconds), if the engine says: an output that would wait
   * before sending (Slack's pacing) returns a `retry` instead of waiting past it.
   */
  deadline?: number;
  /**
   * Scratch space shared by the deliveries of the same event in this process (`event` is then the
   * same object too): a notifier may keep work there that is the same for every target, such as
   * a serialized body, under a key of its own. Absent for manual sends.
   */
  memo?: Map<string, unknown>;
}

/** The request an attempt sent, for the delivery log; secrets must already be redacted. */
export interface RequestFacts {
  method: string;
  /** The URL as sent, with credentials and secret path parts redacted. */
  url: string;
  /** Header names in lower case; signature and credential values redacted. */
  headers: Record<string, string>;
  body?: string;
}

/** Facts about one attempt for the delivery log; secrets must already be redacted. */
export interface AttemptFacts {
  /** HTTP status (or SMTP reply code) of the answer, when there was one. */
  httpStatus?: number;
  /** The start of the answer's body, for the log (the engine truncates it further). */
  response?: string;
  /** The answer's headers (lower-case names). */
  responseHeaders?: Record<string, string>;
  /** What was sent. */
  request?: RequestFacts;
  /**
   * Set when the target itself is gone and must not be tried again (a webhook answering
   * `410 Gone`): the reason its notification is disabled at once.
   */
  disableTarget?: string;
  /**
   * Nothing reached the receiver (an output held the message back, as Slack's pacing does): the
   * attempt says nothing about the receiver's health and does not count toward auto-disable.
   */
  notSent?: boolean;
}

/** Part of a finished attempt's result. */
export interface FollowUps {
  /**
   * More targets (by name) to notify about the same event, decided at delivery time (a
   * repository's own settings name them). Their deliveries are written with this attempt.
   */
  followUps?: string[];
}

/**
 * The result of one attempt. Every notifier classifies every failure: `retry` for what may
 * work later (timeouts, connection errors, 5xx, 429, SMTP 4xx), `failed` for what never will
 * (4xx, SMTP 5xx, bad configuration).
 */
export type AttemptResult =
  | ({ outcome: "succeeded" } & AttemptFacts & FollowUps)
  /** Nothing to do for this event here (the app is not installed, no open pull request, …). */
  | ({ outcome: "skipped"; reason: string } & AttemptFacts & FollowUps)
  | ({ outcome: "retry"; error: string; retryAfterMs?: number } & AttemptFacts)
  | ({ outcome: "failed"; error: string } & AttemptFacts);

/**
 * One output kind (`slack`, `email`, …). Registered under its `kind` in the notifier registry;
 * adding an output is one module implementing this and one registration.
 *
 * @typeParam C the target's settings, as validated by `settings`
 */
export interface Notifier<C = unknown> {
  kind: string;
  /** Validates a target's settings (everything but `kind`) from the routing file or the API. */
  settings: z.ZodType<C>;
  /**
   * Key of the thing a delivery updates, beyond the target: deliveries to one target about one
   * subject run one at a time in event order. Default: project, environment and PR/MR.
   */
  subject?(event: DeployEvent): string;
  /**
   * Whether this output can serve the event at all (a GitHub commit status needs a GitHub
   * repository and a commit). Routing writes no delivery for an event it does not accept.
   * Default: every event.
   */
  accepts?(event: DeployEvent): boolean;
  /**
   * Whether receivers want every event (a webhook is an event log): deliveries are still sent in
   * order per subject, but never superseded by a newer event. Default false: a newer state makes
   * an older one pointless (commit statuses, comments, chat messages).
   */
  everyEvent?: boolean;
  /** Sends one attempt. Must not throw: failures are results. */
  deliver(settings: C, context: DeliveryContext): Promise<AttemptResult>;
}

/** Keeps a notifier's settings type while erasing it for the registry. */
export function defineNotifier<C>(notifier: Notifier<C>): Notifier<C> {
  return notifier;
}

/** The default subject: the same project, environment and PR/MR. */
export function defaultSubject(event: DeployEvent): string {
  const repository = event.project.repository;
  const project = repository
    ? `${repository.host}:${repository.fullPath}`
    : `name:${event.project.name}`;
  return [project, event.environment.name, event.change ? `#${event.change.number}` : ""].join("|");
}

/**
 * Whether the event is about a pull/merge request itself (`change.closed`) rather than a deploy,
 * a form or a notification's health. Only the sticky-comment outputs serve such events.
 */
export function isChangeEvent(event: DeployEvent): boolean {
  return event.kind.startsWith("change.");
}

/** `accepts` of the outputs that tell people about deploys (chat, email, webhooks): no `change.*`. */
export function notAChangeEvent(event: DeployEvent): boolean {
  return !isChangeEvent(event);
}

/**
 * `accepts` of the commit-status outputs: a deploy event (not `change.*`) whose repository is
 * on `host` and that names a commit.
 */
export function hasCommitOn(host: "github" | "gitlab") {
  return (event: DeployEvent): boolean =>
    !isChangeEvent(event) && event.project.repository?.host === host && Boolean(event.commit?.sha);
}

/**
 * `accepts` of the sticky-comment outputs: what a commit status accepts, and the closing of a
 * pull/merge request on `host` (`change.closed` with its number), which marks the comment
 * closed.
 */
export function hasCommentOn(host: "github" | "gitlab") {
  const deploy = hasCommitOn(host);
  return (event: DeployEvent): boolean =>
    deploy(event) ||
    (event.kind === "change.closed" &&
      event.project.repository?.host === host &&
      event.change !== undefined);
}
