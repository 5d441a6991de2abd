/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * `/`: the last 24 hours, unhealthy notifications, failures, and the sources (the environment's
 * and those created through the API) with how to set them up.
 */
import type { Hono } from "hono";
import type { Services } from "../services/services.js";
import type { SourceView } from "../services/sources/source-schemas.js";
import type { SourceState } from "../services/sources/source-states.js";
import { Badge, CopyField, Time } from "./components.js";
import { DeliveriesTable } from "./deliveries-pages.js";
import { Layout } from "./layout.js";
import { HealthBadge } from "./notifications-pages.js";
import { requestHost } from "./security.js";
import { signedIn } from "./session.js";
import type { WebEnv } from "./web-env.js";

/** Where each provider takes the URL and the secret. */
const SETUP: Record<string, { where: string; secretField: string; more: string }> = {
  github: {
    where: "GitHub App settings (or repository / organization Settings → Webhooks → Add webhook)",
    secretField: "Secret",
    more: "Content type application/json; events Deployments and Deployment statuses.",
  },
  gitlab: {
    where: "GitLab project or group Settings → Webhooks → Add new webhook",
    secretField: "Secret token",
    more: "Triggers: Deployment events (and Pipeline events for pipeline jobs with an environment).",
  },
  netlify: {
    where:
      "Netlify Site configuration → Notifications → Deploy notifications → Add notification → HTTP POST request",
    secretField: "JWS secret token",
    more: "One notification per event: deploy started, succeeded, failed, locked, unlocked.",
  },
};

function SourceCard(props: { source: SourceState; origin: string }) {
  const { source } = props;
  const setup = SETUP[source.name];
  const url = `${props.origin}${source.route}`;
  return (
    <article class="card">
      <h3>
        {source.title}{" "}
        {source.active ? <Badge tone="good">on</Badge> : <Badge tone="neutral">off</Badge>}
      </h3>
      {source.active ? (
        <p>Receiving at POST {source.route}.</p>
      ) : (
        <p>
          Off: set <code>{source.secretSetting}</code> in the environment (or <code>.env</code>) and
          restart Shipcast to turn it on.
        </p>
      )}
      {setup && <p class="hint">In {setup.where}:</p>}
      <CopyField id={`url-${source.name}`} label="Payload URL" value={url} />
      <p>
        {setup?.secretField ?? "Secret"}: the value of <code>{source.secretSetting}</code> (never
        shown here).
      </p>
      {setup && <p class="hint">{setup.more}</p>}
    </article>
  );
}

/**
 * A source created through the API: its name and kind, on or off, the URL to paste and where,
 * and whether its secret is set (never the secret itself).
 */
function ApiSourceCard(props: { source: SourceView }) {
  const { source } = props;
  const setup = SETUP[source.kind];
  return (
    <article class="card">
      <h3>
        {source.name} <span class="muted small">({source.kind})</span>{" "}
        {source.enabled ? <Badge tone="good">on</Badge> : <Badge tone="neutral">off</Badge>}
      </h3>
      <p>
        {source.enabled
          ? "Receiving at its own URL."
          : "Disabled: its URL answers 404 until it is enabled again."}
      </p>
      {setup && <p class="hint">In {setup.where}:</p>}
      <CopyField id={`url-${source.id}`} label="Payload URL" value={source.url} />
      <p>
        {setup?.secretField ?? "Secret"}:{" "}
        {source.secret_set ? "the one given when it was created or rotated" : "not set"} (never
        shown here).
        {source.previous_secret_expires_at !== null && (
          <>
            {" "}
            The previous one is accepted until <Time iso={source.previous_secret_expires_at} />.
          </>
        )}
      </p>
      <p class="hint">
        <code>{source.id}</code>: change or delete it with <code>/api/v1/sources/{source.id}</code>.
      </p>
    </article>
  );
}

/** Registers `/`. */
export function overviewRoutes(
  app: Hono<WebEnv>,
  services: Services,
  options: { sources: SourceState[]; trustProxy: boolean; publicUrl?: string },
): void {
  app.get("/", signedIn(services), async (c) => {
    const overview = await services.overview.overview();
    const host = requestHost(c.req.raw.headers, options.trustProxy) ?? "localhost:3000";
    // The URLs to paste: under PUBLIC_URL when it is set, as the API shows them.
    const origin = options.publicUrl ?? `${c.var.secure ? "https" : "http"}://${host}`;
    const apiSources = (await services.sources.list(origin)).filter(
      (source) => source.managed_by === "api",
    );
    const { events, deliveries } = overview;
    return c.html(
      <Layout title="Overview" session={c.var.session} section="overview">
        <h1>Overview</h1>
        <section aria-labelledby="last-day">
          <h2 id="last-day">
            Last 24 hours{" "}
            <span class="muted small">
              (since <Time iso={overview.since} />)
            </span>
          </h2>
          <dl class="stats">
            <div>
              <dt>Events received</dt>
              <dd>
                <a href="/events">{events.total}</a>
              </dd>
            </div>
            <div>
              <dt>Events failed to process</dt>
              <dd>
                <a href="/events?status=failed">{events.failed}</a>
              </dd>
            </div>
            <div>
              <dt>Deliveries sent</dt>
              <dd>
                <a href="/deliveries?status=succeeded">{deliveries.succeeded}</a>
              </dd>
            </div>
            <div>
              <dt>Deliveries failed</dt>
              <dd>
                <a href="/deliveries?status=failed">{deliveries.failed}</a>
              </dd>
            </div>
            <div>
              <dt>Deliveries pending</dt>
              <dd>
                <a href="/deliveries?status=pending">{deliveries.pending}</a>
              </dd>
            </div>
          </dl>
        </section>
        <section aria-labelledby="unhealthy">
          <h2 id="unhealthy">Paused or disabled notifications</h2>
          {overview.unhealthy.length === 0 ? (
            <p>Every notification is active.</p>
          ) : (
            <ul>
              {overview.unhealthy.map((n) => (
                <li>
                  <a href={`/notifications/${encodeURIComponent(n.id)}`}>{n.description || n.id}</a>{" "}
                  <HealthBadge view={n} /> {n.disabled_reason ?? ""}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="failures">
          <h2 id="failures">Latest failures</h2>
          {overview.failures.length === 0 ? (
            <p>No failed delivery in the last 24 hours.</p>
          ) : (
            <DeliveriesTable deliveries={overview.failures} />
          )}
        </section>
        <section aria-labelledby="sources">
          <h2 id="sources">Sources</h2>
          <div class="cards">
            {options.sources.map((source) => (
              <SourceCard source={source} origin={origin} />
            ))}
          </div>
          <h3 id="api-sources">Sources created through the API</h3>
          {apiSources.length === 0 ? (
            <p>
              None yet. <code>POST /api/v1/sources</code> creates one with a URL and a secret of its
              own, per site or project (see <a href="/docs">the API</a>).
            </p>
          ) : (
            <div class="cards">
              {apiSources.map((source) => (
                <ApiSourceCard source={source} />
              ))}
            </div>
          )}
        </section>
      </Layout>,
    );
  });
}
