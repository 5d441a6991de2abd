/**
 * The request path of `POST /build_hooks/<token>`, in two steps the HTTP route calls:
 *
 * 1. {@link BuildHookTriggers.find}: the SHA-256 of the presented token, one probe of a unique
 *    index. An unknown token and a disabled hook's come back alike (`undefined`), after the same
 *    work, and are answered alike by the route.
 * 2. {@link BuildHookTriggers.accept}: the request's `?trigger_title=` and `?trigger_branch=`
 *    (Netlify's names), the `build.requested` event, its deliveries (the hook's own build and
 *    whatever the routes say), and one transaction that checks the hook's rate limit and writes
 *    all of it. The answer (202 with the trigger's id) goes out after the commit.
 *
 * Planning happens here rather than in the event worker because the event is Shipcast's own: it
 * needs no normalizing, and the planner is pure and in memory, so the request path still makes
 * no outgoing call. Writing the event with its deliveries in one transaction is the inbox's
 * promise made stronger: an acknowledged trigger always has its build delivery.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { PlannedDelivery } from "../../delivery/delivery-plan.js";
import type { DeployEvent } from "../../events/deploy-event.js";
import { redactHeaders } from "../../sources/redact-headers.js";
import {
  type BuildHookRow,
  findEnabledBuildHook,
  recordBuildTrigger,
} from "../../store/build-hooks-repository.js";
import type { Store } from "../../store/database.js";
import { eventOrder } from "../../store/deliveries-repository.js";
import { newId } from "../../store/ids.js";
import { publicHookOf } from "./build-hook-codec.js";
import { buildRequestedEvent, type CodeHostOrigins } from "./build-hook-event.js";
import { hashUrlToken } from "./build-hook-id.js";
import { isRefName, MAX_TITLE_LENGTH } from "./build-hook-schemas.js";

/** The rate limit's window: `rate_limit_per_minute` counts the triggers of the last minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** A hook a presented token opened: its row, and the hash the token had. */
export interface FoundBuildHook {
  row: BuildHookRow;
  urlHash: string;
}

/** What a trigger request brings besides its token. */
export interface TriggerRequest {
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The answer to a trigger; `gone` is answered exactly as an unknown hook. */
export type TriggerAnswer =
  | { status: 202; id: string }
  | { status: 400 | 403; error: string }
  | { status: 429; error: string; retryAfterSeconds: number }
  | { status: "gone" };

export interface BuildHookTriggersOptions {
  store: Pick<Store, "db" | "engine">;
  /** The planner: the deliveries of an event (the hook's own and the routes'). */
  plan: (event: DeployEvent) => Promise<PlannedDelivery[]>;
  origins: CodeHostOrigins;
  /** Called after a trigger was committed (wakes the delivery workers). */
  onAccepted?: () => void;
  /** For tests: the clock. */
  now?: () => Date;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The trigger path of the build hooks. */
export class BuildHookTriggers {
  constructor(private readonly options: BuildHookTriggersOptions) {}

  /**
   * The enabled hook `token` opens, or undefined. The token is hashed whatever it looks like
   * (no shortcut for a malformed one), and looked up once.
   */
  async find(token: string): Promise<FoundBuildHook | undefined> {
    const urlHash = hashUrlToken(token);
    const row = await findEnabledBuildHook(this.options.store.db, urlHash);
    return row && { row, urlHash };
  }

  /** Takes a trigger of a hook `find` returned. Store errors propagate (answered 503). */
  async accept(found: FoundBuildHook, request: TriggerRequest): Promise<TriggerAnswer> {
    const title = queryValue(request.query, "trigger_title");
    if (title !== undefined && title.length > MAX_TITLE_LENGTH) {
      return { status: 400, error: `trigger_title is longer than ${MAX_TITLE_LENGTH} characters` };
    }
    const branch = queryValue(request.query, "trigger_branch");
    if (branch !== undefined && !isRefName(branch)) {
      return { status: 400, error: "trigger_branch is not a valid branch name" };
    }
    const hook = publicHookOf(found.row);
    const ownRef = hook.target.ref;
    if (branch !== undefined && branch !== ownRef && !hook.allowBranchOverride) {
      return {
        status: 403,
        error: `this build hook builds ${ownRef ?? "its own ref"} only: trigger_branch is not allowed (allow_branch_override is off)`,
      };
    }
    const ref = branch ?? ownRef;
    const now = this.options.now?.() ?? new Date();
    const eventId = newId("evt");
    const event = buildRequestedEvent({
      eventId,
      hook,
      ref,
      title,
      now,
      origins: this.options.origins,
    });
    const planned = await this.options.plan(event);
    const outcome = await recordBuildTrigger(this.options.store, {
      hookId: hook.id,
      urlHash: found.urlHash,
      eventId,
      normalized: JSON.stringify(event),
      headers: JSON.stringify(redactHeaders(request.headers)),
      body: bodyText(request.body),
      order: eventOrder(event.occurredAt, eventId),
      planned,
      ref: ref ?? null,
      title: title ?? null,
      now,
      windowMs: RATE_LIMIT_WINDOW_MS,
    });
    if (outcome.outcome === "gone") return { status: "gone" };
    if (outcome.outcome === "limited") {
      return {
        status: 429,
        error: `too many triggers: this build hook takes at most ${outcome.limit} a minute; retry in ${outcome.retryAfterSeconds} s`,
        retryAfterSeconds: outcome.retryAfterSeconds,
      };
    }
    this.options.onAccepted?.();
    return { status: 202, id: eventId };
  }
}

/** A query parameter, trimmed; undefined when absent or empty. */
function queryValue(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name)?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** The body as stored with the event: its text, or a note when it is not UTF-8. */
function bodyText(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    return JSON.stringify(`(${body.length} bytes, not UTF-8)`);
  }
}
