/**
 * Delivery health of the notifications, applied as attempts finish: the failure count, pauses and
 * disabling (the rules are `notification-health.ts`), the history of changes, and an alert event
 * when the state changed. Where an alert goes is not decided here: the planner does that through
 * the injected `planAlert`.
 */
import type { Transaction } from "kysely";
import type { PlannedDelivery } from "../../delivery/delivery-plan.js";
import type { DeployEvent } from "../../events/deploy-event.js";
import type { Logger } from "../../logging/logger.js";
import { eventOrder, insertDeliveries } from "../../store/deliveries-repository.js";
import { insertSystemEvent } from "../../store/events-repository.js";
import {
  getNotificationRow,
  insertStateChange,
  updateNotificationRow,
} from "../../store/notifications-repository.js";
import type { Database } from "../../store/schema.js";
import { type HealthChange, type HealthOutcome, nextHealth } from "./notification-health.js";

/** The deliveries an alert event needs (the planner's answer for health alerts). */
export type PlanAlert = (event: DeployEvent) => PlannedDelivery[];

export interface NotificationHealthTrackerOptions {
  /** Routes an alert event; an empty answer writes no alert. */
  planAlert: PlanAlert;
  /** Where a change of state (paused, disabled, recovered) is logged, at `warn`. */
  log?: Logger;
}

/** A change of state as announced: when, with which counts, and its history row. */
export interface AnnouncedChange extends HealthChange {
  at: string;
  consecutiveFailures: number;
  disabledUntil: string | null;
  /** Id of the state-change row; it makes the alert's dedupe key. */
  changeId: string;
}

/** Applies attempt outcomes to notifications' health, and announces changes of state. */
export class NotificationHealthTracker {
  constructor(private readonly options: NotificationHealthTrackerOptions) {}

  /**
   * Applies one attempt's outcome to a notification's health, inside the transaction that records
   * the attempt; writes the change to its history and, when the state changed, an alert event
   * with the deliveries `planAlert` gives it. Returns the change, if any.
   */
  async applyOutcome(
    trx: Transaction<Database>,
    id: string,
    outcome: HealthOutcome,
    now = Date.now(),
  ): Promise<HealthChange | undefined> {
    const row = await getNotificationRow(trx, id);
    if (!row) return undefined;
    const health = {
      enabled: row.enabled === 1,
      consecutiveFailures: row.consecutive_failures,
      disabledUntil: row.disabled_until,
      disabledReason: row.disabled_reason,
    };
    const next = nextHealth(health, outcome, now);
    const at = new Date(now).toISOString();
    if (
      next.health.consecutiveFailures === health.consecutiveFailures &&
      next.health.enabled === health.enabled &&
      next.health.disabledUntil === health.disabledUntil &&
      next.change === undefined
    ) {
      return undefined;
    }
    await updateNotificationRow(trx, id, {
      enabled: next.health.enabled ? 1 : 0,
      consecutive_failures: next.health.consecutiveFailures,
      disabled_until: next.health.disabledUntil,
      disabled_reason: next.health.disabledReason,
    });
    if (!next.change) return undefined;
    const change = await insertStateChange(trx, {
      notificationId: id,
      at,
      state: next.change.state,
      reason: next.change.reason,
      consecutiveFailures: next.health.consecutiveFailures,
      disabledUntil: next.health.disabledUntil,
      actor: "deliveries",
    });
    const { state, reason } = next.change;
    this.options.log?.warn(
      { notification: { id, kind: row.kind, state, reason } },
      `notification ${id} (${row.kind}${row.description ? ` "${row.description}"` : ""}): ${reason.startsWith(state) ? reason : `${state === "active" ? "recovered" : state}, ${reason}`}`,
    );
    if (next.change.announce) {
      await this.announce(trx, row, {
        ...next.change,
        at,
        consecutiveFailures: next.health.consecutiveFailures,
        disabledUntil: next.health.disabledUntil,
        changeId: change.id,
      });
    }
    return next.change;
  }

  /** Writes the alert event and its planned deliveries, in `trx`; nothing when none is planned. */
  private async announce(
    trx: Transaction<Database>,
    notification: { id: string; kind: string; description: string },
    change: AnnouncedChange,
  ): Promise<void> {
    const event = alertEventOf(notification, change);
    const planned = this.options.planAlert(event);
    if (planned.length === 0) return;
    const eventId = await insertSystemEvent(trx, {
      eventName: event.kind,
      dedupeKey: `health:${change.changeId}`,
      normalized: JSON.stringify(event),
      now: change.at,
    });
    await insertDeliveries(trx, eventId, eventOrder(event.occurredAt, eventId), planned, change.at);
  }
}

/** The event that tells the alert targets a notification was paused, disabled or recovered. */
export function alertEventOf(
  notification: { id: string; kind: string; description: string },
  change: AnnouncedChange,
): DeployEvent {
  const { id, kind, description } = notification;
  const alertKind =
    change.state === "active"
      ? "notification.recovered"
      : change.state === "paused"
        ? "notification.paused"
        : "notification.disabled";
  return {
    schemaVersion: 1,
    kind: alertKind,
    source: "shipcast",
    sourceEvent: alertKind,
    project: { name: description || id, id },
    environment: { name: "shipcast", type: "PRODUCTION" },
    urls: {},
    ...(change.state === "active" ? {} : { error: change.reason }),
    occurredAt: change.at,
    ids: { notification: id, change: change.changeId },
    alert: {
      notification: { id, kind, description },
      state: change.state,
      reason: change.reason,
      consecutiveFailures: change.consecutiveFailures,
      ...(change.disabledUntil === null || change.state !== "paused"
        ? {}
        : { disabledUntil: change.disabledUntil }),
    },
  };
}
