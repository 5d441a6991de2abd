/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * `/notifications`: every target with its health; an API notification's page with its settings,
 * state history, deliveries and the actions (Send test, Replay failures since …, Re-enable,
 * Edit, Delete); the create and edit form showing every field's problem from the service.
 * Routing-file targets are read-only here and say so.
 */
import type { Context, Hono } from "hono";
import { DEPLOY_EVENT_KINDS, type DeployEventKind } from "../events/deploy-event.js";
import type { ManualAttemptView } from "../services/deliveries/delivery-views.js";
import {
  NOTIFICATION_KINDS,
  type NotificationView,
} from "../services/notifications/notification-schemas.js";
import {
  NotificationInputError,
  ReadOnlyTargetError,
} from "../services/notifications/notifications.js";
import type { Problem } from "../services/problems.js";
import { RateLimitedError, RefusedError } from "../services/service-errors.js";
import type { Services } from "../services/services.js";
import { allows } from "../services/tokens/tokens-service.js";
import { Badge, Csrf, HeadersTable, Notice, Time, utcText } from "./components.js";
import { DeliveriesTable } from "./deliveries-pages.js";
import { NotFoundPage } from "./error-pages.js";
import { Layout } from "./layout.js";
import { type FormBody, requestOfForm } from "./notification-form.js";
import { NotificationForm } from "./notification-form-page.js";
import { needs, signedIn } from "./session.js";
import type { WebEnv } from "./web-env.js";

/** A notification's health in words and colour: active, paused until …, disabled. */
export function HealthBadge(props: { view: NotificationView }) {
  const { view } = props;
  if (view.state === "active") return <Badge tone="good">active</Badge>;
  if (view.state === "paused") {
    return (
      <Badge tone="warn">
        paused{view.disabled_until ? ` until ${utcText(view.disabled_until)}` : ""}
      </Badge>
    );
  }
  return <Badge tone="bad">disabled</Badge>;
}

function sourceLabel(view: NotificationView): string {
  if (view.source === "file") return "routing file (read-only)";
  if (view.source === "default") return "default output (read-only)";
  return "API";
}

/** What a test send answered, shown on the notification's page. */
function TestResult(props: { attempt: ManualAttemptView }) {
  const { attempt } = props;
  const tone =
    attempt.outcome === "succeeded" ? "good" : attempt.outcome === "skipped" ? "neutral" : "bad";
  return (
    <section class="test-result" aria-labelledby="test-result" role="status">
      <h2 id="test-result">
        Test sent: <Badge tone={tone}>{attempt.outcome}</Badge>{" "}
        {attempt.http_status !== null && <span>HTTP {attempt.http_status}</span>}{" "}
        <span class="muted">in {attempt.duration_ms} ms</span>
      </h2>
      {attempt.error !== null && <p class="error-text">{attempt.error}</p>}
      <HeadersTable headers={attempt.response_headers} caption="Answer headers" />
      {attempt.response !== null && (
        <>
          <p class="small muted">Answer body (as text):</p>
          <pre class="answer">{attempt.response}</pre>
        </>
      )}
      <p>
        <a href={`/deliveries/${attempt.delivery_id}`}>The test delivery and its request</a>
      </p>
    </section>
  );
}

function Settings(props: { view: NotificationView }) {
  const { view } = props;
  const list = (items: string[]) => (items.length === 0 ? "every one" : items.join(", "));
  return (
    <dl class="facts">
      <dt>Kind</dt>
      <dd>{view.kind}</dd>
      <dt>Defined in</dt>
      <dd>{sourceLabel(view)}</dd>
      {view.url !== undefined && (
        <>
          <dt>URL</dt>
          <dd class="wrap">
            <code>{view.url}</code>
          </dd>
        </>
      )}
      {view.to !== undefined && (
        <>
          <dt>Recipients</dt>
          <dd>{view.to.join(", ")}</dd>
        </>
      )}
      {view.headers !== undefined && (
        <>
          <dt>Custom headers</dt>
          <dd>{Object.keys(view.headers).join(", ") || "none"} (values write-only)</dd>
        </>
      )}
      {view.kind === "webhook" && view.source === "api" && (
        <>
          <dt>Signing secrets</dt>
          <dd>
            {[
              view.secret_set && "HMAC (X-Hub-Signature-256)",
              view.jws_secret_set && "JWS (X-Nf-Sign)",
              view.standard_webhooks_secret_set && "Standard Webhooks",
            ]
              .filter(Boolean)
              .join(", ") || "none"}
          </dd>
          <dt>TLS verification</dt>
          <dd>{view.ssl_verification === false ? "off" : "on"}</dd>
        </>
      )}
      <dt>Events</dt>
      <dd>{view.events === "all" ? "all" : view.events.join(", ")}</dd>
      <dt>Environment types</dt>
      <dd>{list(view.environment_types)}</dd>
      <dt>Projects</dt>
      <dd>{list(view.project_names)}</dd>
      <dt>Branches</dt>
      <dd>{list(view.branches)}</dd>
    </dl>
  );
}

function defaultSince(now = Date.now()): string {
  return new Date(now - 24 * 3_600_000).toISOString().slice(0, 16);
}

interface DetailExtras {
  notice?: { tone: "good" | "bad"; text: string };
  test?: ManualAttemptView;
}

async function detailPage(
  c: Context<WebEnv>,
  services: Services,
  view: NotificationView,
  extras: DetailExtras = {},
) {
  const session = c.var.session;
  const canWrite = allows(session.principal, "write");
  const deliveries = await services.deliveries.listOfNotification(view.id, undefined, {
    limit: 10,
  });
  const path = `/notifications/${encodeURIComponent(view.id)}`;
  return (
    <Layout title={view.description || view.id} session={session} section="notifications">
      <p class="crumbs">
        <a href="/notifications">Notifications</a> / {view.id}
      </p>
      <h1>
        {view.description || view.id} <HealthBadge view={view} />
      </h1>
      {extras.notice && <Notice tone={extras.notice.tone}>{extras.notice.text}</Notice>}
      {view.read_only && (
        <p class="readonly-note">
          Defined in the routing file (shipcast.yml) or a default output: read-only here; change it
          in the file.
        </p>
      )}
      {extras.test && <TestResult attempt={extras.test} />}
      <Settings view={view} />
      {view.source === "api" && (
        <section aria-labelledby="health">
          <h2 id="health">Health</h2>
          <p>
            <HealthBadge view={view} /> {view.disabled_reason ?? ""}{" "}
            <span class="muted">({view.consecutive_failures} failures in a row)</span>
          </p>
          {canWrite && (view.state !== "active" || view.consecutive_failures > 0) && (
            <form method="post" action={`${path}/enable`}>
              <Csrf token={session.csrfToken} />
              <button type="submit">Re-enable</button>{" "}
              <span class="hint">Resets the failure count; waiting deliveries are sent now.</span>
            </form>
          )}
          <h3>State history</h3>
          {(view.state_changes ?? []).length === 0 ? (
            <p class="muted">No change of state yet.</p>
          ) : (
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">State</th>
                  <th scope="col">Why</th>
                  <th scope="col">Failures</th>
                  <th scope="col">By</th>
                </tr>
              </thead>
              <tbody>
                {(view.state_changes ?? []).map((change) => (
                  <tr>
                    <td>
                      <Time iso={change.at} />
                    </td>
                    <td>{change.state}</td>
                    <td class="wrap">{change.reason}</td>
                    <td>{change.consecutive_failures}</td>
                    <td>{change.actor === "api" ? "a user" : "the delivery engine"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      {canWrite && (
        <section aria-labelledby="actions">
          <h2 id="actions">Actions</h2>
          <form class="inline-form" method="post" action={`${path}/test`}>
            <Csrf token={session.csrfToken} />
            <div class="field">
              <label for="test-event">Sample event</label>
              <select id="test-event" name="event">
                {DEPLOY_EVENT_KINDS.map((kind) => (
                  <option value={kind} selected={kind === "deploy.succeeded"}>
                    {kind}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit">Send test</button>
          </form>
          <form class="inline-form" method="post" action={`${path}/replay`}>
            <Csrf token={session.csrfToken} />
            <div class="field">
              <label for="replay-since">Replay failures since (UTC)</label>
              <input
                id="replay-since"
                name="since"
                type="datetime-local"
                required
                value={defaultSince()}
              />
            </div>
            <button type="submit">Replay failures</button>
          </form>
          {!view.read_only && (
            <p class="actions">
              <a class="button" href={`${path}/edit`}>
                Edit
              </a>{" "}
              <a class="button danger" href={`${path}/delete`}>
                Delete
              </a>
            </p>
          )}
        </section>
      )}
      <section aria-labelledby="recent">
        <h2 id="recent">Recent deliveries</h2>
        {!deliveries || deliveries.items.length === 0 ? (
          <p>No deliveries yet.</p>
        ) : (
          <>
            <DeliveriesTable deliveries={deliveries.items} />
            <p>
              <a href={`/deliveries?target=${encodeURIComponent(view.id)}`}>
                All {deliveries.total} deliveries
              </a>
            </p>
          </>
        )}
      </section>
    </Layout>
  );
}

const DONE: Record<string, string> = {
  created: "Created.",
  saved: "Saved.",
  enabled: "Re-enabled: the failure count is reset.",
  deleted: "Deleted.",
};

/** Parses the replay form's time: a `datetime-local` value in UTC, or an ISO time. */
function parseSince(value: string): Date | undefined {
  const trimmed = value.trim();
  const withZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(trimmed)
    ? `${trimmed}Z`
    : trimmed;
  const date = new Date(withZone);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function formField(form: FormBody, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value : "";
}

/** Registers the notifications pages. */
export function notificationsRoutes(app: Hono<WebEnv>, services: Services): void {
  const { notifications, deliveries } = services;
  const found = async (c: Context<WebEnv>) => notifications.view(c.req.param("id") ?? "");
  const notFound = (c: Context<WebEnv>) => {
    c.status(404);
    return c.html(
      <NotFoundPage session={c.var.session} what={`No notification ${c.req.param("id")}.`} />,
    );
  };

  app.get("/notifications", signedIn(services), async (c) => {
    const views = await notifications.list();
    const session = c.var.session;
    const done = DONE[c.req.query("done") ?? ""];
    return c.html(
      <Layout title="Notifications" session={session} section="notifications">
        <h1>Notifications</h1>
        {done && <Notice tone="good">{done}</Notice>}
        {allows(session.principal, "write") && (
          <p class="actions">
            {NOTIFICATION_KINDS.map((kind) => (
              <>
                <a class="button" href={`/notifications/new?kind=${kind}`}>
                  New {kind}
                </a>{" "}
              </>
            ))}
          </p>
        )}
        <table class="list">
          <caption class="visually-hidden">Every notification target</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Health</th>
              <th scope="col">Defined in</th>
              <th scope="col">Events</th>
            </tr>
          </thead>
          <tbody>
            {views.map((view) => (
              <tr>
                <td class="wrap">
                  <a href={`/notifications/${encodeURIComponent(view.id)}`}>
                    {view.source === "api" && view.description ? view.description : view.id}
                  </a>
                  {view.source === "api" && <div class="small muted">{view.id}</div>}
                </td>
                <td>{view.kind}</td>
                <td>
                  <HealthBadge view={view} />
                  {view.disabled_reason && <div class="small">{view.disabled_reason}</div>}
                </td>
                <td>
                  {view.read_only ? <Badge tone="neutral">{sourceLabel(view)}</Badge> : "API"}
                </td>
                <td class="wrap">{view.events === "all" ? "all" : view.events.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {views.length === 0 && <p>No notifications yet.</p>}
      </Layout>,
    );
  });

  app.get("/notifications/new", signedIn(services), needs("write"), (c) => {
    const kind = NOTIFICATION_KINDS.find((k) => k === c.req.query("kind")) ?? "webhook";
    return c.html(<NotificationForm session={c.var.session} kind={kind} />);
  });

  app.post("/notifications", signedIn(services), needs("write"), async (c) => {
    const form = (await c.req.parseBody({ all: true })) as FormBody;
    const kind = NOTIFICATION_KINDS.find((k) => k === formField(form, "kind")) ?? "webhook";
    const request = requestOfForm(kind, form);
    let problems: Problem[] = request.problems;
    if (problems.length === 0) {
      try {
        const view = await notifications.createFromRequest(request.body);
        return c.redirect(`/notifications/${encodeURIComponent(view.id)}?done=created`, 303);
      } catch (error) {
        if (!(error instanceof NotificationInputError)) throw error;
        problems = error.problems;
      }
    }
    c.status(422);
    return c.html(
      <NotificationForm session={c.var.session} kind={kind} form={form} problems={problems} />,
    );
  });

  app.get("/notifications/:id", signedIn(services), async (c) => {
    const view = await found(c);
    if (!view) return notFound(c);
    const done = DONE[c.req.query("done") ?? ""];
    const replayed = c.req.query("replayed");
    const notice = done
      ? { tone: "good" as const, text: done }
      : replayed !== undefined && /^\d+$/.test(replayed)
        ? {
            tone: "good" as const,
            text: `Re-queued ${replayed} failed deliveries; the workers send them now.`,
          }
        : undefined;
    return c.html(await detailPage(c, services, view, { notice }));
  });

  app.get("/notifications/:id/edit", signedIn(services), needs("write"), async (c) => {
    const view = await found(c);
    if (!view) return notFound(c);
    if (view.read_only) return c.redirect(`/notifications/${encodeURIComponent(view.id)}`, 303);
    return c.html(<NotificationForm session={c.var.session} kind={view.kind} current={view} />);
  });

  app.post("/notifications/:id", signedIn(services), needs("write"), async (c) => {
    const view = await found(c);
    if (!view) return notFound(c);
    const form = (await c.req.parseBody({ all: true })) as FormBody;
    const request = requestOfForm(view.kind, form, view);
    let problems: Problem[] = request.problems;
    if (problems.length === 0) {
      try {
        const changed = await notifications.change(view.id, request.body);
        if (!changed) return notFound(c);
        return c.redirect(`/notifications/${encodeURIComponent(view.id)}?done=saved`, 303);
      } catch (error) {
        if (error instanceof ReadOnlyTargetError) {
          c.status(409);
          return c.html(
            await detailPage(c, services, view, { notice: { tone: "bad", text: error.message } }),
          );
        }
        if (!(error instanceof NotificationInputError)) throw error;
        problems = error.problems;
      }
    }
    c.status(422);
    return c.html(
      <NotificationForm
        session={c.var.session}
        kind={view.kind}
        current={view}
        form={form}
        problems={problems}
      />,
    );
  });

  app.get("/notifications/:id/delete", signedIn(services), needs("write"), async (c) => {
    const view = await found(c);
    if (!view) return notFound(c);
    const session = c.var.session;
    return c.html(
      <Layout title="Delete notification" session={session} section="notifications">
        <h1>Delete {view.description || view.id}?</h1>
        <p>Its delivery log stays. This cannot be undone.</p>
        <form method="post" action={`/notifications/${encodeURIComponent(view.id)}/delete`}>
          <Csrf token={session.csrfToken} />
          <button type="submit" class="danger">
            Delete
          </button>{" "}
          <a href={`/notifications/${encodeURIComponent(view.id)}`}>Cancel</a>
        </form>
      </Layout>,
    );
  });

  app.post("/notifications/:id/delete", signedIn(services), needs("write"), async (c) => {
    const view = await found(c);
    if (!view) return notFound(c);
    try {
      await notifications.remove(view.id);
    } catch (error) {
      if (!(error instanceof ReadOnlyTargetError)) throw error;
      c.status(409);
      return c.html(
        await detailPage(c, services, view, { notice: { tone: "bad", text: error.message } }),
      );
    }
    return c.redirect("/notifications?done=deleted", 303);
  });

  app.post("/notifications/:id/enable", signedIn(services), needs("write"), async (c) => {
    const view = await found(c);
    if (!view) return notFound(c);
    try {
      await notifications.change(view.id, { enabled: true });
    } catch (error) {
      if (!(error instanceof ReadOnlyTargetError)) throw error;
      c.status(409);
      return c.html(
        await detailPage(c, services, view, { notice: { tone: "bad", text: error.message } }),
      );
    }
    return c.redirect(`/notifications/${encodeURIComponent(view.id)}?done=enabled`, 303);
  });

  app.post("/notifications/:id/test", signedIn(services), needs("write"), async (c) => {
    const view = await found(c);
    if (!view) return notFound(c);
    const form = (await c.req.parseBody()) as FormBody;
    const kind: DeployEventKind =
      DEPLOY_EVENT_KINDS.find((k) => k === formField(form, "event")) ?? "deploy.succeeded";
    try {
      const attempt = await deliveries.test(view.id, kind, c.var.session.principal.key);
      return c.html(await detailPage(c, services, view, { test: attempt }));
    } catch (error) {
      if (!(error instanceof RefusedError || error instanceof RateLimitedError)) throw error;
      c.status(error instanceof RefusedError ? error.status : 429);
      return c.html(
        await detailPage(c, services, view, { notice: { tone: "bad", text: error.message } }),
      );
    }
  });

  app.post("/notifications/:id/replay", signedIn(services), needs("write"), async (c) => {
    const view = await found(c);
    if (!view) return notFound(c);
    const form = (await c.req.parseBody()) as FormBody;
    const since = parseSince(formField(form, "since"));
    if (!since) {
      c.status(422);
      return c.html(
        await detailPage(c, services, view, {
          notice: { tone: "bad", text: "Replay: give a time such as 2026-11-23 10:00 (UTC)." },
        }),
      );
    }
    try {
      const { requeued } = await deliveries.replay(view.id, since);
      return c.redirect(`/notifications/${encodeURIComponent(view.id)}?replayed=${requeued}`, 303);
    } catch (error) {
      if (!(error instanceof RefusedError)) throw error;
      c.status(error.status);
      const text =
        error.status === 409 ? "This notification is disabled: re-enable it first." : error.message;
      return c.html(await detailPage(c, services, view, { notice: { tone: "bad", text } }));
    }
  });
}
