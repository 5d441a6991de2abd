/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * `/deliveries`: every delivery, green, red or grey with the status in words, filtered by
 * notification and status. `/deliveries/:id`: every attempt's request and answer, and Resend.
 */
import type { Context, Hono } from "hono";
import type {
  AttemptView,
  DeliveryDetail,
  DeliverySummary,
} from "../services/deliveries/delivery-views.js";
import { decodeCursor } from "../services/paging.js";
import { RateLimitedError, RefusedError } from "../services/service-errors.js";
import type { Services } from "../services/services.js";
import { allows } from "../services/tokens/tokens-service.js";
import type { DeliveryStatus } from "../store/schema.js";
import { Badge, Csrf, DeliveryBadge, HeadersTable, Notice, Pager, Time } from "./components.js";
import { NotFoundPage } from "./error-pages.js";
import { JsonView } from "./json-view.js";
import { Layout } from "./layout.js";
import { needs, signedIn } from "./session.js";
import type { WebEnv } from "./web-env.js";

const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  "pending",
  "succeeded",
  "failed",
  "superseded",
  "skipped",
];
const PAGE_SIZE = 50;

/** Deliveries as a table: state, target, event, attempts, last error, times. */
export function DeliveriesTable(props: { deliveries: DeliverySummary[] }) {
  return (
    <table class="list">
      <caption class="visually-hidden">Deliveries, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Target</th>
          <th scope="col">Kind</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last error</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {props.deliveries.map((d) => (
          <tr>
            <td>
              <a href={`/deliveries/${d.id}`} aria-label={`Delivery ${d.id}`}>
                <DeliveryBadge delivery={d} />
              </a>
            </td>
            <td class="wrap">
              <a href={`/notifications/${encodeURIComponent(d.target)}`}>{d.target}</a>
            </td>
            <td>{d.kind}</td>
            <td>{d.attempts}</td>
            <td class="wrap error-text">{d.last_error ?? ""}</td>
            <td>
              <a href={`/deliveries/${d.id}`}>
                <Time iso={d.created_at} />
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AttemptSection(props: { attempt: AttemptView; open: boolean }) {
  const { attempt, open } = props;
  const tone =
    attempt.outcome === "succeeded" ? "good" : attempt.outcome === "skipped" ? "neutral" : "bad";
  return (
    <section class="attempt" aria-labelledby={`attempt-${attempt.attempt}`}>
      <h3 id={`attempt-${attempt.attempt}`}>
        Attempt {attempt.attempt} <Badge tone={tone}>{attempt.outcome}</Badge>{" "}
        {attempt.http_status !== null && <span>HTTP {attempt.http_status}</span>}
      </h3>
      <dl class="facts">
        <dt>Started</dt>
        <dd>
          <Time iso={attempt.started_at} />
        </dd>
        <dt>Duration</dt>
        <dd>{attempt.duration_ms} ms</dd>
        {attempt.error !== null && (
          <>
            <dt>Error</dt>
            <dd class="error-text">{attempt.error}</dd>
          </>
        )}
        {attempt.next_attempt_at !== null && (
          <>
            <dt>Next attempt</dt>
            <dd>
              <Time iso={attempt.next_attempt_at} />
            </dd>
          </>
        )}
      </dl>
      <details open={open}>
        <summary>Request</summary>
        {attempt.request ? (
          <>
            <p>
              <code>
                {attempt.request.method} {attempt.request.url}
              </code>
            </p>
            <HeadersTable
              headers={attempt.request.headers}
              caption="Request headers (secrets redacted)"
            />
            {attempt.request.body !== undefined && (
              <JsonView text={attempt.request.body} label="Request body" />
            )}
          </>
        ) : (
          <p class="muted">No request recorded for this attempt.</p>
        )}
      </details>
      <details open={open}>
        <summary>Answer</summary>
        <p>{attempt.http_status !== null ? `HTTP ${attempt.http_status}` : "No answer."}</p>
        <HeadersTable headers={attempt.response_headers} caption="Answer headers" />
        {attempt.response !== null && (
          <>
            <p class="small muted">Body (as text, at most 16 KB):</p>
            <pre class="answer">{attempt.response}</pre>
          </>
        )}
      </details>
    </section>
  );
}

function DeliveryPage(props: {
  c: Context<WebEnv>;
  delivery: DeliveryDetail;
  notice?: { tone: "good" | "bad"; text: string };
}) {
  const { c, delivery } = props;
  const session = c.var.session;
  const attempts = [...delivery.attempts].reverse();
  return (
    <Layout title={`Delivery ${delivery.id}`} session={session} section="deliveries">
      <p class="crumbs">
        <a href="/deliveries">Deliveries</a> / {delivery.id}
      </p>
      <h1>
        Delivery to {delivery.target}{" "}
        <DeliveryBadge delivery={{ ...delivery, attempts: delivery.attempts.length }} />
      </h1>
      {props.notice && <Notice tone={props.notice.tone}>{props.notice.text}</Notice>}
      <dl class="facts">
        <dt>Status</dt>
        <dd class="delivery-status">{delivery.status}</dd>
        <dt>Target</dt>
        <dd>
          <a href={`/notifications/${encodeURIComponent(delivery.target)}`}>{delivery.target}</a> (
          {delivery.kind})
        </dd>
        <dt>Event</dt>
        <dd>
          <a href={`/events/${delivery.event_id}`}>{delivery.event_id}</a>
        </dd>
        <dt>Created</dt>
        <dd>
          <Time iso={delivery.created_at} />
        </dd>
        <dt>Completed</dt>
        <dd>
          <Time iso={delivery.completed_at} />
        </dd>
        {delivery.next_attempt_at && (
          <>
            <dt>Next attempt</dt>
            <dd>
              <Time iso={delivery.next_attempt_at} />
            </dd>
          </>
        )}
      </dl>
      {allows(session.principal, "write") && (
        <form method="post" action={`/deliveries/${delivery.id}/resend`}>
          <Csrf token={session.csrfToken} />
          <button type="submit">Resend</button>{" "}
          <span class="hint">Sends it again now: the same delivery id, a new attempt.</span>
        </form>
      )}
      <h2>Attempts, newest first</h2>
      {attempts.length === 0 && <p>No attempt yet.</p>}
      {attempts.map((attempt, index) => (
        <AttemptSection attempt={attempt} open={index === 0} />
      ))}
    </Layout>
  );
}

/** Registers the deliveries pages. */
export function deliveriesRoutes(app: Hono<WebEnv>, services: Services): void {
  app.get("/deliveries", signedIn(services), async (c) => {
    const target = c.req.query("target")?.trim() || undefined;
    const status = DELIVERY_STATUSES.find((s) => s === c.req.query("status"));
    const cursor = c.req.query("cursor");
    const after = cursor ? decodeCursor(cursor) : undefined;
    const [page, notifications] = await Promise.all([
      services.deliveries.list({ target, status }, { limit: PAGE_SIZE, after }),
      services.notifications.list(),
    ]);
    const params = new URLSearchParams();
    if (target) params.set("target", target);
    if (status) params.set("status", status);
    return c.html(
      <Layout title="Deliveries" session={c.var.session} section="deliveries">
        <h1>Deliveries</h1>
        <form class="filters" method="get" action="/deliveries">
          <div class="field">
            <label for="f-target">Notification</label>
            <select id="f-target" name="target">
              <option value="">any</option>
              {notifications.map((n) => (
                <option value={n.id} selected={n.id === target}>
                  {n.description && n.source === "api" ? `${n.description} (${n.id})` : n.id}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-status">Status</label>
            <select id="f-status" name="status">
              <option value="">any</option>
              {DELIVERY_STATUSES.map((s) => (
                <option value={s} selected={s === status}>
                  {s === "succeeded" ? "delivered" : s}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Filter</button>
        </form>
        <p class="muted">
          {page.total.toLocaleString("en")} {page.total === 1 ? "delivery" : "deliveries"}
        </p>
        <DeliveriesTable deliveries={page.items} />
        {page.items.length === 0 && <p>No deliveries.</p>}
        <Pager base="/deliveries" params={params} next={page.next} first={after === undefined} />
      </Layout>,
    );
  });

  app.get("/deliveries/:id", signedIn(services), async (c) => {
    const id = c.req.param("id");
    const delivery = await services.deliveries.detail(id);
    if (!delivery) {
      c.status(404);
      return c.html(<NotFoundPage session={c.var.session} what={`No delivery ${id}.`} />);
    }
    const notice =
      c.req.query("done") === "resent" ? { tone: "good" as const, text: "Sent again." } : undefined;
    return c.html(<DeliveryPage c={c} delivery={delivery} notice={notice} />);
  });

  app.post("/deliveries/:id/resend", signedIn(services), needs("write"), async (c) => {
    const id = c.req.param("id");
    try {
      await services.deliveries.resend(id, c.var.session.principal.key);
    } catch (error) {
      if (!(error instanceof RefusedError || error instanceof RateLimitedError)) throw error;
      const delivery = await services.deliveries.detail(id);
      const status = error instanceof RefusedError ? error.status : 429;
      c.status(status);
      if (!delivery) return c.html(<NotFoundPage session={c.var.session} what={error.message} />);
      return c.html(
        <DeliveryPage c={c} delivery={delivery} notice={{ tone: "bad", text: error.message }} />,
      );
    }
    return c.redirect(`/deliveries/${encodeURIComponent(id)}?done=resent`, 303);
  });
}
