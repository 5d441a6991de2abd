/**
 * The delivery log and what a user can do with it: list and read deliveries, resend one, send a
 * test to a notification, replay a notification's failures. Test sends and resends make
 * outgoing requests on demand, so they are limited per caller (5 a minute), whoever asks: the
 * API and the dashboard share the count.
 */

import { type ManualDelivery, ManualDeliveryError } from "../../delivery/manual-delivery.js";
import type { DeployEventKind } from "../../events/deploy-event.js";
import type { Store } from "../../store/database.js";
import {
  type DeliveryFilter,
  getDelivery,
  listDeliveries,
} from "../../store/deliveries-repository.js";
import type { DeliveryStatus } from "../../store/schema.js";
import type { Notifications } from "../notifications/notifications.js";
import type { Page, PageRequest } from "../paging.js";
import { RateLimitedError, RefusedError } from "../service-errors.js";
import {
  attemptView,
  type DeliveryDetail,
  type DeliverySummary,
  deliverySummary,
  type ManualAttemptView,
  manualAttemptView,
} from "./delivery-views.js";
import type { RateLimiter } from "./rate-limiter.js";

export type { DeliveryFilter };

export interface DeliveriesServiceOptions {
  store: Store;
  manual: ManualDelivery;
  notifications: Notifications;
  limiter: RateLimiter;
}

/** Deliveries for the API and the dashboard: the log, resend, test sends, replays. */
export class DeliveriesService {
  constructor(private readonly options: DeliveriesServiceOptions) {}

  /** Deliveries newest first, filtered by event, target and status, one page. */
  async list(filter: DeliveryFilter, page: PageRequest): Promise<Page<DeliverySummary>> {
    const found = await listDeliveries(this.options.store.db, filter, page);
    const now = Date.now();
    return { ...found, items: found.items.map((row) => deliverySummary(row, now)) };
  }

  /** A notification's (or file target's) deliveries; undefined when there is no such target. */
  async listOfNotification(
    id: string,
    status: DeliveryStatus | undefined,
    page: PageRequest,
  ): Promise<Page<DeliverySummary> | undefined> {
    const { notifications } = this.options;
    if (!notifications.has(id) && !(await notifications.view(id))) return undefined;
    return this.list({ target: id, status }, page);
  }

  /** A delivery with every attempt still in the log. */
  async detail(id: string): Promise<DeliveryDetail | undefined> {
    const found = await getDelivery(this.options.store.db, id);
    if (!found) return undefined;
    return { ...deliverySummary(found.delivery), attempts: found.attempts.map(attemptView) };
  }

  /**
   * Sends a delivery again now (same delivery id, a new attempt), for `caller` (the admin or a
   * token id, whose uses are counted). `RefusedError` 404/409 when unknown or in flight.
   */
  async resend(id: string, caller: string): Promise<ManualAttemptView> {
    this.take(caller);
    return manualAttemptView(await refusals(this.options.manual.resend(id)));
  }

  /** Sends a sample event of `kind` to a target now, for `caller`; 404 for an unknown target. */
  async test(target: string, kind: DeployEventKind, caller: string): Promise<ManualAttemptView> {
    this.take(caller);
    return manualAttemptView(await refusals(this.options.manual.test(target, kind)));
  }

  /**
   * Re-queues a notification's failed deliveries created since `since`; the workers send them.
   * Refused for an unknown notification (404) or a disabled one (409: re-enable it first).
   */
  async replay(id: string, since: Date): Promise<{ requeued: number; since: string }> {
    const view = await this.options.notifications.view(id);
    if (!view) throw new RefusedError(404, `no notification ${id}`);
    if (!view.enabled) {
      throw new RefusedError(409, `notification ${id} is disabled: PATCH {"enabled": true} first`);
    }
    const requeued = await this.options.manual.replay(id, since);
    return { requeued, since: since.toISOString() };
  }

  private take(caller: string): void {
    const taken = this.options.limiter.take(caller);
    if (!taken.ok) throw new RateLimitedError(taken.retryAfterSeconds);
  }
}

/** The manual delivery's refusals as the services' own. */
async function refusals<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ManualDeliveryError) throw new RefusedError(error.status, error.message);
    throw error;
  }
}
