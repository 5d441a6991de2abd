/**
 * The notification form as a request body for the notifications service, and the service's
 * problems back onto the form's fields. The form is plain HTML: lists are one item a line,
 * headers `Name: value` a line, secrets left empty to keep them.
 */
import type { NotificationView } from "../services/notifications/notification-schemas.js";
import type { Problem } from "../services/problems.js";

/** A parsed form body (`c.req.parseBody({ all: true })`). */
export type FormBody = Record<string, string | File | (string | File)[]>;

/** Secrets a form can remove (a checkbox `remove_<name>`). */
export const REMOVABLE_SECRETS = ["secret", "jws_secret", "standard_webhooks_secret", "headers"];

function text(form: FormBody, name: string): string {
  const value = form[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" ? first : "";
}

function all(form: FormBody, name: string): string[] {
  const value = form[name];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((v): v is string => typeof v === "string");
}

function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** The request a form says, and the problems found reading it (malformed header lines). */
export interface FormRequest {
  body: Record<string, unknown>;
  problems: Problem[];
}

/**
 * The body of a creation (`current` undefined) or change request from the form. A change
 * leaves out what the form left as it was, so that nothing changes by accident: an empty
 * secret keeps the secret, an unchanged masked URL keeps the URL, and `enabled` is sent only
 * when it changed (sending `true` re-enables and resets the failure count).
 */
export function requestOfForm(
  kind: string,
  form: FormBody,
  current?: NotificationView,
): FormRequest {
  const problems: Problem[] = [];
  const body: Record<string, unknown> = {};
  if (!current) body.kind = kind;
  body.description = text(form, "description").trim();
  const enabled = text(form, "enabled") === "on";
  if (!current) body.enabled = enabled;
  else if (enabled !== current.enabled) body.enabled = enabled;
  body.events = text(form, "events_mode") === "some" ? all(form, "events") : "all";
  body.environment_types = all(form, "environment_types");
  body.project_names = lines(text(form, "project_names"));
  body.branches = lines(text(form, "branches"));

  const url = text(form, "url").trim();
  if (kind === "webhook") {
    if (!current || (url !== "" && url !== current.url)) body.url = url;
    body.ssl_verification = text(form, "ssl_verification") === "on";
    const headerText = text(form, "headers");
    if (headerText.trim() !== "") {
      const headers: Record<string, string> = {};
      for (const line of lines(headerText)) {
        const colon = line.indexOf(":");
        if (colon <= 0) {
          problems.push({
            field: "headers",
            message: `write each header as Name: value (${line})`,
          });
          continue;
        }
        headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
      body.headers = headers;
    }
    for (const name of ["secret", "jws_secret", "standard_webhooks_secret"]) {
      const value = text(form, name).trim();
      if (value !== "") body[name] = value;
    }
  } else if (kind === "slack") {
    if (!current || url !== "") body.url = url;
  } else if (kind === "email") {
    body.to = lines(text(form, "to"));
  }
  if (current) {
    for (const name of REMOVABLE_SECRETS) {
      if (text(form, `remove_${name}`) === "on" && body[name] === undefined) body[name] = null;
    }
  }
  return { body, problems };
}

/** Problems by the form field they belong to (`headers.X-Team` → `headers`); `(form)` for the rest. */
export function problemsByField(
  problems: Problem[],
  fields: readonly string[],
): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  for (const problem of problems) {
    const [first, ...rest] = problem.field.split(".");
    const field = first && fields.includes(first) ? first : "(form)";
    const where = field === "(form)" && problem.field !== "(body)" ? `${problem.field}: ` : "";
    const detail = field !== "(form)" && rest.length > 0 ? `${rest.join(".")}: ` : "";
    const list = byField.get(field) ?? [];
    list.push(`${where}${detail}${problem.message}`);
    byField.set(field, list);
  }
  return byField;
}
