/** What the dashboard's overview shows: the last 24 hours, the unhealthy notifications, failures. */
import type { Store } from "../../store/database.js";
import {
  countDeliveriesSince,
  countEventsSince,
  latestFailures,
} from "../../store/overview-repository.js";
import type { DeliveryStatus, EventStatus } from "../../store/schema.js";
import { type DeliverySummary, deliverySummary } from "../deliveries/delivery-views.js";
import type { NotificationView } from "../notifications/notification-schemas.js";
import type { Notifications } from "../notifications/notifications.js";

/** The window the overview counts over. */
export const OVERVIEW_WINDOW_MS = 24 * 3_600_000;

export interface Overview {
  /** Start of the window. */
  since: string;
  events: Record<EventStatus, number> & { total: number };
  deliveries: Record<DeliveryStatus, number> & { total: number };
  /** Notifications paused after failures or disabled, with the reason. */
  unhealthy: NotificationView[];
  /** The newest deliveries of the window that failed, or wait for a retry after failing. */
  failures: DeliverySummary[];
}

/** The dashboard's overview, from a few indexed counts. */
export class OverviewService {
  constructor(
    private readonly options: { store: Store; notifications: Pick<Notifications, "list"> },
  ) {}

  /** The last 24 hours before `now`, and at most `failures` of the latest failures. */
  async overview(now = new Date(), failures = 10): Promise<Overview> {
    const since = new Date(now.getTime() - OVERVIEW_WINDOW_MS);
    const { db } = this.options.store;
    const [events, deliveries, failed, notifications] = await Promise.all([
      countEventsSince(db, since),
      countDeliveriesSince(db, since),
      latestFailures(db, since, failures),
      this.options.notifications.list(),
    ]);
    return {
      since: since.toISOString(),
      events: { ...events, total: sum(events) },
      deliveries: { ...deliveries, total: sum(deliveries) },
      unhealthy: notifications.filter((n) => n.state !== "active"),
      failures: failed.map((row) => deliverySummary(row, now.getTime())),
    };
  }
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
