/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * `/events`: newest first, filtered by source, status, kind and project, paged by keyset; new
 * events appear live (the script asks `/events/live` for what is newer than the top row).
 * `/events/:id`: the normalized event, the redacted headers, the payload, the deliveries.
 */
import type { Hono } from "hono";
import { DEPLOY_EVENT_KINDS, EVENT_SOURCES } from "../events/deploy-event.js";
import type { EventFilter, EventSummary } from "../services/events/events-service.js";
import { decodeCursor } from "../services/paging.js";
import type { Services } from "../services/services.js";
import { EventBadge, HeadersTable, Pager, Time } from "./components.js";
import { DeliveriesTable } from "./deliveries-pages.js";
import { NotFoundPage } from "./error-pages.js";
import { JsonView } from "./json-view.js";
import { Layout } from "./layout.js";
import { signedIn } from "./session.js";
import type { WebEnv } from "./web-env.js";

const EVENT_STATUSES = ["pending", "processed", "ignored", "failed"] as const;
const PAGE_SIZE = 50;

/** The filters of a query string; unknown values are left out rather than refused. */
export function eventFilterOf(query: (name: string) => string | undefined): EventFilter {
  const pick = <T extends string>(value: string | undefined, known: readonly T[]) =>
    known.find((k) => k === value);
  const project = query("project")?.trim();
  return {
    source: pick(query("source"), EVENT_SOURCES),
    status: pick(query("status"), EVENT_STATUSES),
    kind: pick(query("kind"), DEPLOY_EVENT_KINDS),
    project: project ? project.slice(0, 200) : undefined,
  };
}

function filterParams(filter: EventFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) if (value) params.set(name, value);
  return params;
}

/** One row of the events table (also what the live list adds). */
export function EventRow(props: { event: EventSummary }) {
  const { event } = props;
  return (
    <tr data-id={event.id}>
      <td>
        <a href={`/events/${event.id}`}>
          <Time iso={event.received_at} />
        </a>
      </td>
      <td>{event.source}</td>
      <td>
        <EventBadge status={event.status} />
      </td>
      <td>{event.kind ?? <span class="muted">{event.source_event ?? "—"}</span>}</td>
      <td class="wrap">{event.project ?? "—"}</td>
      <td>{event.environment ?? "—"}</td>
    </tr>
  );
}

function EventsTable(props: { events: EventSummary[]; live?: string }) {
  return (
    <table class="list" data-live={props.live}>
      <caption class="visually-hidden">Events, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Received</th>
          <th scope="col">Source</th>
          <th scope="col">Status</th>
          <th scope="col">Kind</th>
          <th scope="col">Project</th>
          <th scope="col">Environment</th>
        </tr>
      </thead>
      <tbody>
        {props.events.map((event) => (
          <EventRow event={event} />
        ))}
      </tbody>
    </table>
  );
}

function Select(props: {
  name: string;
  label: string;
  options: readonly string[];
  value: string | undefined;
}) {
  return (
    <div class="field">
      <label for={`f-${props.name}`}>{props.label}</label>
      <select id={`f-${props.name}`} name={props.name}>
        <option value="">any</option>
        {props.options.map((option) => (
          <option value={option} selected={option === props.value}>
            {option}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Registers the events pages. */
export function eventsRoutes(app: Hono<WebEnv>, services: Services): void {
  app.get("/events", signedIn(services), async (c) => {
    const filter = eventFilterOf((name) => c.req.query(name));
    const cursor = c.req.query("cursor");
    const after = cursor ? decodeCursor(cursor) : undefined;
    const page = await services.events.list(filter, { limit: PAGE_SIZE, after });
    const params = filterParams(filter);
    const first = after === undefined;
    const live = first ? `/events/live?${params.toString()}` : undefined;
    return c.html(
      <Layout title="Events" session={c.var.session} section="events">
        <h1>Events</h1>
        <form class="filters" method="get" action="/events">
          <Select name="source" label="Source" options={EVENT_SOURCES} value={filter.source} />
          <Select name="status" label="Status" options={EVENT_STATUSES} value={filter.status} />
          <Select name="kind" label="Kind" options={DEPLOY_EVENT_KINDS} value={filter.kind} />
          <div class="field">
            <label for="f-project">Project</label>
            <input id="f-project" name="project" type="text" value={filter.project ?? ""} />
          </div>
          <button type="submit">Filter</button>
        </form>
        <p class="muted">
          {page.total.toLocaleString("en")} {page.total === 1 ? "event" : "events"}
          {first ? "; new events appear here as they arrive." : "."}
          <span class="live-status" role="status" aria-live="polite" />
        </p>
        <EventsTable events={page.items} live={live} />
        {page.items.length === 0 && <p>No events yet.</p>}
        <Pager base="/events" params={params} next={page.next} first={first} />
      </Layout>,
    );
  });

  // What the live list adds: the rows newer than `after`, as a table fragment.
  app.get("/events/live", signedIn(services), async (c) => {
    const filter = eventFilterOf((name) => c.req.query(name));
    const after = c.req.query("after");
    const events =
      after && /^evt_[0-9A-Z]{26}$/.test(after)
        ? await services.events.newer(filter, after, PAGE_SIZE)
        : [];
    return c.html(<EventsTable events={events} />);
  });

  app.get("/events/:id", signedIn(services), async (c) => {
    const id = c.req.param("id");
    const detail = await services.events.detail(id);
    if (!detail) {
      c.status(404);
      return c.html(<NotFoundPage session={c.var.session} what={`No event ${id}.`} />);
    }
    const { summary } = detail;
    const headers = parseObject(detail.headers);
    return c.html(
      <Layout title={`Event ${summary.id}`} session={c.var.session} section="events">
        <p class="crumbs">
          <a href="/events">Events</a> / {summary.id}
        </p>
        <h1>
          {summary.kind ?? summary.source_event ?? "Event"}{" "}
          {summary.project && <span class="muted">{summary.project}</span>}
        </h1>
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <EventBadge status={summary.status} /> {summary.reason ?? ""}
          </dd>
          <dt>Source</dt>
          <dd>
            {summary.source}
            {summary.source_event ? ` (${summary.source_event})` : ""}
          </dd>
          <dt>Environment</dt>
          <dd>{summary.environment ?? "—"}</dd>
          <dt>Received</dt>
          <dd>
            <Time iso={summary.received_at} />
          </dd>
          <dt>Processed</dt>
          <dd>
            <Time iso={summary.processed_at} />
          </dd>
        </dl>
        <section aria-labelledby="deliveries">
          <h2 id="deliveries">Deliveries</h2>
          {detail.deliveries.length === 0 ? (
            <p>
              No deliveries: no target matched this event
              {summary.status === "pending" ? " yet" : ""}.
            </p>
          ) : (
            <DeliveriesTable deliveries={detail.deliveries} />
          )}
        </section>
        <section aria-labelledby="normalized">
          <h2 id="normalized">Normalized event</h2>
          {detail.normalized === null ? (
            <p class="muted">Not normalized{summary.reason ? `: ${summary.reason}` : "."}</p>
          ) : (
            <JsonView text={detail.normalized} label="Event" />
          )}
        </section>
        <section aria-labelledby="headers">
          <h2 id="headers">Request headers</h2>
          {detail.headers === null ? (
            <p class="muted">Not kept (pruned after the retention time).</p>
          ) : (
            <HeadersTable headers={headers} caption="Headers (secrets redacted)" />
          )}
        </section>
        <section aria-labelledby="payload">
          <h2 id="payload">Payload</h2>
          <JsonView
            text={detail.payload}
            label="Payload"
            rawHref={`/events/${encodeURIComponent(summary.id)}/payload`}
          />
        </section>
      </Layout>,
    );
  });

  // The payload as it was stored, as text: for payloads too large or deep to show as a tree.
  app.get("/events/:id/payload", signedIn(services), async (c) => {
    const detail = await services.events.detail(c.req.param("id"));
    if (!detail || detail.payload === null) return c.text("not found", 404);
    return c.text(detail.payload, 200, { "content-type": "text/plain; charset=utf-8" });
  });
}

function parseObject(text: string | null): Record<string, string> | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          typeof v === "string" ? v : JSON.stringify(v),
        ]),
      );
    }
  } catch {
    // not an object: shown as nothing
  }
  return null;
}
