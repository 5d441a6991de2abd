import { describe, expect, it } from "vitest";
import type { NotificationView } from "../../src/services/notifications/notification-schemas.js";
import { problemsByField, requestOfForm } from "../../src/web/notification-form.js";

const current: NotificationView = {
  id: "ntf_abc",
  kind: "webhook",
  description: "tracker",
  enabled: true,
  state: "paused",
  read_only: false,
  source: "api",
  events: "all",
  environment_types: [],
  project_names: [],
  branches: [],
  url: "https://user:[redacted]@tracker.example.com/hooks",
  headers: { "X-Team": "[redacted]" },
  secret_set: true,
  jws_secret_set: false,
  standard_webhooks_secret_set: false,
  ssl_verification: true,
  consecutive_failures: 5,
  disabled_until: "2026-11-30T12:00:00Z",
  disabled_reason: "5 failures",
  created_at: null,
  updated_at: null,
};

describe("the notification form as a request", () => {
  it("creates with every field the form says, lists one a line, headers as Name: value", () => {
    const { body, problems } = requestOfForm("webhook", {
      description: " release tracker ",
      enabled: "on",
      events_mode: "some",
      events: ["deploy.failed", "deploy.succeeded"],
      environment_types: "PRODUCTION",
      project_names: "web-*\r\n\r\n docs ",
      branches: "",
      url: "https://tracker.example.com/hooks",
      headers: "X-Team: web\nX-Env:  prod ",
      secret: "s3cret",
      jws_secret: "",
    });
    expect(problems).toEqual([]);
    expect(body).toEqual({
      kind: "webhook",
      description: "release tracker",
      enabled: true,
      events: ["deploy.failed", "deploy.succeeded"],
      environment_types: ["PRODUCTION"],
      project_names: ["web-*", "docs"],
      branches: [],
      url: "https://tracker.example.com/hooks",
      ssl_verification: false,
      headers: { "X-Team": "web", "X-Env": "prod" },
      secret: "s3cret",
    });
  });

  it("changes nothing by accident: empty secrets, the masked URL and an unchanged enabled stay out", () => {
    const { body } = requestOfForm(
      "webhook",
      {
        description: "tracker",
        enabled: "on",
        events_mode: "all",
        url: current.url as string,
        ssl_verification: "on",
        secret: "",
        headers: "",
      },
      current,
    );
    expect(body).not.toHaveProperty("url");
    expect(body).not.toHaveProperty("secret");
    expect(body).not.toHaveProperty("headers");
    // Sending enabled: true would re-enable the paused notification and reset its failures.
    expect(body).not.toHaveProperty("enabled");
  });

  it("removes a secret only when its box is ticked and no new value is given", () => {
    const { body } = requestOfForm(
      "webhook",
      { remove_secret: "on", remove_headers: "on", headers: "X-New: 1", enabled: "" },
      current,
    );
    expect(body.secret).toBeNull();
    expect(body.headers).toEqual({ "X-New": "1" });
    expect(body.enabled).toBe(false);
  });

  it("says which header line it cannot read", () => {
    const { problems } = requestOfForm("webhook", { headers: "X-Ok: 1\nnot a header" });
    expect(problems).toEqual([
      { field: "headers", message: "write each header as Name: value (not a header)" },
    ]);
  });

  it("puts each problem next to its field, and the rest at the top", () => {
    const byField = problemsByField(
      [
        { field: "url", message: "must be an http(s) URL" },
        { field: "headers.Host", message: "set by Shipcast; cannot be replaced" },
        { field: "to.1", message: "Invalid email address" },
        { field: "(body)", message: "expected an object" },
      ],
      ["url", "headers"],
    );
    expect(Object.fromEntries(byField)).toEqual({
      url: ["must be an http(s) URL"],
      headers: ["Host: set by Shipcast; cannot be replaced"],
      "(form)": ["to.1: Invalid email address", "expected an object"],
    });
  });
});
