/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * Small pieces the pages share. Everything that came from outside is passed as text children or
 * attribute values, which JSX escapes; nothing here builds markup from strings.
 */
import type { Child } from "hono/jsx";
import type { DeliverySummary } from "../services/deliveries/delivery-views.js";

/** `2026-11-30 10:15:03 UTC`: what a page shows before the script puts it in local time. */
export function utcText(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A time in UTC, with the UTC value on hover; the client script shows it in local time. */
export function Time(props: { iso: string | null | undefined }) {
  if (!props.iso) return <span class="muted">—</span>;
  const text = utcText(props.iso);
  return (
    <time datetime={props.iso} title={text}>
      {text}
    </time>
  );
}

/** The words and colour of a delivery's state. */
export function deliveryState(
  delivery: Pick<DeliverySummary, "status" | "in_flight" | "attempts" | "last_error">,
): {
  label: string;
  tone: "good" | "bad" | "neutral";
} {
  switch (delivery.status) {
    case "succeeded":
      return { label: "delivered", tone: "good" };
    case "failed":
      return { label: "failed", tone: "bad" };
    case "skipped":
      return { label: "skipped", tone: "neutral" };
    case "superseded":
      return { label: "superseded", tone: "neutral" };
    default:
      if (delivery.in_flight) return { label: "sending", tone: "neutral" };
      return delivery.attempts > 0 && delivery.last_error !== null
        ? { label: "retrying", tone: "neutral" }
        : { label: "pending", tone: "neutral" };
  }
}

/** A status as a coloured badge whose text says it (colour is never the only signal). */
export function Badge(props: { tone: "good" | "bad" | "neutral" | "warn"; children: Child }) {
  return <span class={`badge badge-${props.tone}`}>{props.children}</span>;
}

export function DeliveryBadge(props: { delivery: DeliverySummary }) {
  const state = deliveryState(props.delivery);
  return <Badge tone={state.tone}>{state.label}</Badge>;
}

/** An event's status. */
export function EventBadge(props: { status: string }) {
  const tone =
    props.status === "processed" ? "good" : props.status === "failed" ? "bad" : "neutral";
  return <Badge tone={tone}>{props.status}</Badge>;
}

/** A link only for http(s) URLs; anything else is shown as text. */
export function ExternalLink(props: { href: string | null | undefined }) {
  if (!props.href) return <span class="muted">—</span>;
  if (!/^https?:\/\//i.test(props.href)) return <span>{props.href}</span>;
  return (
    <a href={props.href} rel="noreferrer noopener">
      {props.href}
    </a>
  );
}

/**
 * A read-only value with a Copy button. The button is hidden until the script runs: without
 * JavaScript the value is selectable text in a labelled field.
 */
export function CopyField(props: { id: string; label: string; value: string }) {
  return (
    <div class="copy-field">
      <label for={props.id}>{props.label}</label>
      <span class="copy-row">
        <input id={props.id} type="text" readonly value={props.value} />
        <button type="button" class="copy" data-copy={props.id} hidden>
          Copy
        </button>
      </span>
    </div>
  );
}

/** The synchronizer token every form of a session carries. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />;
}

/** A table of header names and values (values already redacted where secret). */
export function HeadersTable(props: { headers: Record<string, string> | null; caption: string }) {
  const entries = Object.entries(props.headers ?? {});
  if (entries.length === 0) return <p class="muted">No {props.caption.toLowerCase()}.</p>;
  return (
    <table class="kv">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([name, value]) => (
          <tr>
            <th scope="row">{name}</th>
            <td>
              <code>{value}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "Next page" and "newest" links of a keyset-paged list. */
export function Pager(props: {
  base: string;
  params: URLSearchParams;
  next: string | null;
  first: boolean;
}) {
  const link = (cursor: string | undefined) => {
    const params = new URLSearchParams(props.params);
    params.delete("cursor");
    if (cursor) params.set("cursor", cursor);
    const query = params.toString();
    return query ? `${props.base}?${query}` : props.base;
  };
  if (props.first && !props.next) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {!props.first && <a href={link(undefined)}>Newest</a>}
      {props.next && (
        <a href={link(props.next)} rel="next">
          Older
        </a>
      )}
    </nav>
  );
}

/** A notice of what just happened, announced to screen readers. */
export function Notice(props: { tone: "good" | "bad"; children: Child }) {
  return (
    <div class={`notice notice-${props.tone}`} role={props.tone === "bad" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}
