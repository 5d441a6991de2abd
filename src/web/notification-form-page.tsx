/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/**
 * The create and edit form of a webhook, Slack or email notification. Every problem the
 * service finds is shown next to its field (and listed at the top), with `aria-invalid` and
 * `aria-describedby`, so the form says what to fix without JavaScript.
 */
import { DEPLOY_EVENT_KINDS, ENVIRONMENT_TYPES } from "../events/deploy-event.js";
import {
  NOTIFICATION_KINDS,
  type NotificationView,
} from "../services/notifications/notification-schemas.js";
import type { Problem } from "../services/problems.js";
import type { Session } from "../services/sessions/sessions-service.js";
import { Csrf } from "./components.js";
import { Layout } from "./layout.js";
import { type FormBody, problemsByField } from "./notification-form.js";

const FIELDS = [
  "kind",
  "description",
  "enabled",
  "events",
  "environment_types",
  "project_names",
  "branches",
  "url",
  "headers",
  "secret",
  "jws_secret",
  "standard_webhooks_secret",
  "ssl_verification",
  "to",
] as const;

export interface NotificationFormProps {
  session: Session;
  kind: string;
  /** The notification being edited; undefined to create one. */
  current?: NotificationView;
  /** What was submitted, shown again with the problems. */
  form?: FormBody;
  problems?: Problem[];
}

export function NotificationForm(props: NotificationFormProps) {
  const { kind, current, form } = props;
  const errors = problemsByField(props.problems ?? [], FIELDS);
  const submitted = (name: string): string | undefined => {
    const value = form?.[name];
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === "string" ? first : undefined;
  };
  const submittedAll = (name: string): string[] => {
    const value = form?.[name];
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return values.filter((v): v is string => typeof v === "string");
  };
  const checked = (name: string, fallback: boolean) => (form ? submitted(name) === "on" : fallback);

  const events = form
    ? submitted("events_mode") === "some"
      ? submittedAll("events")
      : "all"
    : (current?.events ?? "all");
  const environmentTypes = form
    ? submittedAll("environment_types")
    : (current?.environment_types ?? []);
  const title = current ? `Edit ${current.description || current.id}` : `New ${kind} notification`;
  const action = current ? `/notifications/${encodeURIComponent(current.id)}` : "/notifications";
  const formErrors = errors.get("(form)") ?? [];
  const count = (props.problems ?? []).length;

  const described = (name: string, hint?: boolean) => {
    const ids = [hint ? `hint-${name}` : "", errors.has(name) ? `err-${name}` : ""]
      .filter(Boolean)
      .join(" ");
    return ids === "" ? {} : { "aria-describedby": ids };
  };
  const invalid = (name: string) => (errors.has(name) ? { "aria-invalid": "true" } : {});
  const FieldError = (p: { name: string }) => {
    const messages = errors.get(p.name);
    if (!messages) return null;
    return (
      <p class="field-error" id={`err-${p.name}`}>
        {messages.join("; ")}
      </p>
    );
  };
  const TextField = (p: {
    name: string;
    label: string;
    value: string;
    type?: string;
    hint?: string;
    required?: boolean;
  }) => (
    <div class={`field${errors.has(p.name) ? " has-error" : ""}`}>
      <label for={`n-${p.name}`}>{p.label}</label>
      {p.hint && (
        <p class="hint" id={`hint-${p.name}`}>
          {p.hint}
        </p>
      )}
      <input
        id={`n-${p.name}`}
        name={p.name}
        type={p.type ?? "text"}
        value={p.value}
        required={p.required}
        autocomplete="off"
        {...invalid(p.name)}
        {...described(p.name, Boolean(p.hint))}
      />
      <FieldError name={p.name} />
    </div>
  );
  const LinesField = (p: { name: string; label: string; value: string; hint: string }) => (
    <div class={`field${errors.has(p.name) ? " has-error" : ""}`}>
      <label for={`n-${p.name}`}>{p.label}</label>
      <p class="hint" id={`hint-${p.name}`}>
        {p.hint}
      </p>
      <textarea
        id={`n-${p.name}`}
        name={p.name}
        rows={3}
        {...invalid(p.name)}
        {...described(p.name, true)}
      >
        {p.value}
      </textarea>
      <FieldError name={p.name} />
    </div>
  );
  const RemoveSecret = (p: { name: string; set: boolean | undefined; label: string }) =>
    current && p.set ? (
      <div class="check">
        <input
          id={`n-remove_${p.name}`}
          name={`remove_${p.name}`}
          type="checkbox"
          checked={checked(`remove_${p.name}`, false)}
        />
        <label for={`n-remove_${p.name}`}>Remove the {p.label}</label>
      </div>
    ) : null;
  const keepHint = (set: boolean | undefined) =>
    current && set ? "Set; write-only. Leave empty to keep it." : "Write-only: never shown again.";

  return (
    <Layout title={title} session={props.session} section="notifications">
      <p class="crumbs">
        <a href="/notifications">Notifications</a> / {current ? current.id : "new"}
      </p>
      <h1>{title}</h1>
      {!current && (
        <nav class="tabs" aria-label="Kind">
          {NOTIFICATION_KINDS.map((k) => (
            <a href={`/notifications/new?kind=${k}`} aria-current={k === kind ? "page" : undefined}>
              {k}
            </a>
          ))}
        </nav>
      )}
      {count > 0 && (
        <div class="notice notice-bad" role="alert">
          <p>{count === 1 ? "1 problem" : `${count} problems`}: nothing was saved.</p>
          {formErrors.length > 0 && (
            <ul>
              {formErrors.map((message) => (
                <li>{message}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <form method="post" action={action} class="notification-form" novalidate>
        <Csrf token={props.session.csrfToken} />
        <input type="hidden" name="kind" value={kind} />
        <TextField
          name="description"
          label="Description"
          value={submitted("description") ?? current?.description ?? ""}
          hint="What it is for, e.g. #deploys or release tracker."
        />
        {kind === "webhook" && (
          <>
            <TextField
              name="url"
              label="Receiver URL"
              type="url"
              required={!current}
              value={submitted("url") ?? current?.url ?? ""}
              hint="http(s). Credentials in it (https://user:pass@host/) are sent as Basic authorization and stored encrypted."
            />
            <LinesField
              name="headers"
              label="Custom headers"
              value={submitted("headers") ?? ""}
              hint={
                current && Object.keys(current.headers ?? {}).length > 0
                  ? `One per line, Name: value. Now: ${Object.keys(current.headers ?? {}).join(", ")} (values write-only); leave empty to keep them, or write them all again.`
                  : "One per line, Name: value. Values are write-only."
              }
            />
            <RemoveSecret
              name="headers"
              set={Object.keys(current?.headers ?? {}).length > 0}
              label="custom headers"
            />
            {[
              { name: "secret", label: "HMAC secret (X-Hub-Signature-256)", short: "HMAC secret" },
              { name: "jws_secret", label: "JWS secret (X-Nf-Sign)", short: "JWS secret" },
              {
                name: "standard_webhooks_secret",
                label: "Standard Webhooks secret (whsec_…)",
                short: "Standard Webhooks secret",
              },
            ].map((secret) => {
              const set = current?.[`${secret.name}_set` as keyof NotificationView] === true;
              return (
                <>
                  <TextField
                    name={secret.name}
                    label={secret.label}
                    type="password"
                    value=""
                    hint={keepHint(set)}
                  />
                  <RemoveSecret name={secret.name} set={set} label={secret.short} />
                </>
              );
            })}
            <div class="check">
              <input
                id="n-ssl_verification"
                name="ssl_verification"
                type="checkbox"
                checked={checked("ssl_verification", current?.ssl_verification ?? true)}
              />
              <label for="n-ssl_verification">Verify the receiver's TLS certificate</label>
              <FieldError name="ssl_verification" />
            </div>
          </>
        )}
        {kind === "slack" && (
          <TextField
            name="url"
            label="Slack incoming-webhook URL"
            type="password"
            required={!current}
            value=""
            hint={
              current
                ? `Set (${current.url ?? "hidden"}); a credential, write-only. Leave empty to keep it.`
                : "https://hooks.slack.com/services/…: a credential, write-only."
            }
          />
        )}
        {kind === "email" && (
          <LinesField
            name="to"
            label="Recipients"
            value={submitted("to") ?? current?.to?.join("\n") ?? ""}
            hint="One address per line. Email needs SMTP_URL."
          />
        )}
        <fieldset class={errors.has("events") ? "has-error" : ""} {...described("events")}>
          <legend>Events</legend>
          <div class="check">
            <input
              id="n-events-all"
              name="events_mode"
              type="radio"
              value="all"
              checked={events === "all"}
            />
            <label for="n-events-all">All events</label>
          </div>
          <div class="check">
            <input
              id="n-events-some"
              name="events_mode"
              type="radio"
              value="some"
              checked={events !== "all"}
            />
            <label for="n-events-some">Only these:</label>
          </div>
          <div class="checks">
            {DEPLOY_EVENT_KINDS.map((event) => (
              <div class="check">
                <input
                  id={`n-event-${event}`}
                  name="events"
                  type="checkbox"
                  value={event}
                  checked={events !== "all" && events.includes(event)}
                />
                <label for={`n-event-${event}`}>{event}</label>
              </div>
            ))}
          </div>
          <FieldError name="events" />
        </fieldset>
        <fieldset
          class={errors.has("environment_types") ? "has-error" : ""}
          {...described("environment_types")}
        >
          <legend>Environment types (none checked: every one)</legend>
          <div class="checks">
            {ENVIRONMENT_TYPES.map((type) => (
              <div class="check">
                <input
                  id={`n-env-${type}`}
                  name="environment_types"
                  type="checkbox"
                  value={type}
                  checked={environmentTypes.includes(type)}
                />
                <label for={`n-env-${type}`}>{type}</label>
              </div>
            ))}
          </div>
          <FieldError name="environment_types" />
        </fieldset>
        <LinesField
          name="project_names"
          label="Projects"
          value={submitted("project_names") ?? current?.project_names.join("\n") ?? ""}
          hint="One pattern per line, case-insensitive, * wildcard. Empty: every project."
        />
        <LinesField
          name="branches"
          label="Branches"
          value={submitted("branches") ?? current?.branches.join("\n") ?? ""}
          hint="One pattern per line; * matches any run of characters including /. Empty: every branch."
        />
        <div class="check">
          <input
            id="n-enabled"
            name="enabled"
            type="checkbox"
            checked={checked("enabled", current?.enabled ?? true)}
          />
          <label for="n-enabled">Enabled</label>
          <FieldError name="enabled" />
        </div>
        <FieldError name="kind" />
        <p>
          <button type="submit">{current ? "Save" : "Create"}</button>{" "}
          <a href={current ? `/notifications/${encodeURIComponent(current.id)}` : "/notifications"}>
            Cancel
          </a>
        </p>
      </form>
    </Layout>
  );
}
