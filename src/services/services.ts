/**
 * Every service the API and the dashboard (and later the CLI) call, built once by the wiring:
 * each rule lives in one service, and the views above only translate requests and answers.
 */
import type { ManualDelivery } from "../delivery/manual-delivery.js";
import type { Store } from "../store/database.js";
import { DeliveriesService } from "./deliveries/deliveries-service.js";
import { RateLimiter } from "./deliveries/rate-limiter.js";
import { EventsService } from "./events/events-service.js";
import type { Notifications } from "./notifications/notifications.js";
import { OverviewService } from "./overview/overview-service.js";
import { SessionsService } from "./sessions/sessions-service.js";
import type { Sources } from "./sources/sources.js";
import { TokensService } from "./tokens/tokens-service.js";

export interface Services {
  events: EventsService;
  deliveries: DeliveriesService;
  notifications: Notifications;
  tokens: TokensService;
  sessions: SessionsService;
  overview: OverviewService;
  /** The sources managed through the API (`/api/v1/sources`). */
  sources: Sources;
}

export interface ServicesDependencies {
  store: Store;
  notifications: Notifications;
  sources: Sources;
  manual: ManualDelivery;
  /** `SHIPCAST_ADMIN_TOKEN`; undefined turns the API and the dashboard off. */
  adminToken: string | undefined;
  /** Counts test sends and resends per caller. Default: 5 a minute. */
  limiter?: RateLimiter;
}

/** Builds the services over one store. */
export function createServices(deps: ServicesDependencies): Services {
  const { store, notifications, manual, adminToken } = deps;
  const tokens = new TokensService({ store, adminToken });
  return {
    events: new EventsService(store),
    deliveries: new DeliveriesService({
      store,
      manual,
      notifications,
      limiter: deps.limiter ?? new RateLimiter(),
    }),
    notifications,
    tokens,
    sessions: new SessionsService({ store, tokens, adminToken }),
    overview: new OverviewService({ store, notifications }),
    sources: deps.sources,
  };
}
