import { describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import {
  MAX_COMMENT_LENGTH,
  mergeRow,
  renderDeployTable,
  rowFromEvent,
  STICKY_MARKER,
} from "../../../src/notifiers/kit/deploy-table.js";

function event(overrides: Partial<DeployEvent> = {}): DeployEvent {
  return {
    schemaVersion: 1,
    kind: "deploy.succeeded",
    source: "netlify",
    sourceEvent: "deploy_created",
    project: { name: "web" },
    environment: { name: "deploy-preview", type: "PREVIEW" },
    commit: {
      sha: "2bf6019eab7035beccc013d641445f9bb1006083",
      url: "https://github.com/o/r/commit/2bf6019",
    },
    urls: { deploy: "https://preview.example.com", logs: "https://app.example.com/logs/1" },
    occurredAt: "2026-01-01T10:00:00.000Z",
    ids: {},
    ...overrides,
  };
}

describe("the sticky deploy table", () => {
  it("renders the marker and one row with state, preview, logs, linked short sha and time", () => {
    const body = renderDeployTable([rowFromEvent(event())]);
    expect(body.startsWith(STICKY_MARKER)).toBe(true);
    expect(body).toContain(
      "| web | deploy-preview | ✅ Ready | [Visit](https://preview.example.com) | [Logs](https://app.example.com/logs/1) | [`2bf6019`](https://github.com/o/r/commit/2bf6019) | 2026-01-01 10:00 |",
    );
  });

  it("replaces the row of the same project and environment and leaves the others alone", () => {
    const a = rowFromEvent(event({ kind: "deploy.started" }));
    const b = rowFromEvent(event({ environment: { name: "production", type: "PRODUCTION" } }));
    let rows = mergeRow(mergeRow([], a).rows, b).rows;
    const failed = rowFromEvent(
      event({ kind: "deploy.failed", error: "exit 1", occurredAt: "2026-01-01T10:05:00.000Z" }),
    );
    const merged = mergeRow(rows, failed);
    expect(merged.changed).toBe(true);
    rows = merged.rows;
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.environment === "deploy-preview")?.kind).toBe("deploy.failed");
    expect(rows.find((r) => r.environment === "production")?.kind).toBe("deploy.succeeded");
    expect(renderDeployTable(rows)).toContain("**web · deploy-preview**: exit 1");
  });

  it("never moves a row backwards to an older state", () => {
    const newer = rowFromEvent(event({ occurredAt: "2026-01-01T10:05:00.000Z" }));
    const older = rowFromEvent(
      event({ kind: "deploy.started", occurredAt: "2026-01-01T10:00:00.000Z" }),
    );
    const result = mergeRow([newer], older);
    expect(result.changed).toBe(false);
    expect(result.rows[0]?.kind).toBe("deploy.succeeded");
  });

  it("escapes table breakers and never links a non-http URL", () => {
    const body = renderDeployTable([
      rowFromEvent(
        event({ project: { name: "a|b<script>" }, urls: { deploy: "javascript:alert(1)" } }),
      ),
    ]);
    expect(body).toContain("a\\|b&lt;script&gt;");
    expect(body).not.toContain("javascript:");
  });

  it("says so once the pull request is closed", () => {
    expect(renderDeployTable([], { closed: true })).toContain("pull request is closed");
    expect(renderDeployTable([], { closed: true, changeName: "merge request" })).toContain(
      "_This merge request is closed: this comment is no longer updated._",
    );
    expect(renderDeployTable([], { changeName: "merge request" })).not.toContain("closed");
  });

  it("stays under GitHub's 65,536-character limit by dropping the oldest rows", () => {
    let rows: ReturnType<typeof rowFromEvent>[] = [];
    for (let i = 0; i < 400; i++) {
      rows = mergeRow(
        rows,
        rowFromEvent(
          event({
            project: { name: `site-${i}-${"x".repeat(100)}` },
            kind: "deploy.failed",
            error: "e".repeat(400),
            occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
          }),
        ),
      ).rows;
    }
    const body = renderDeployTable(rows);
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(body).toMatch(/_\d+ older rows are not shown\._/);
    expect(body).toContain("site-399-");
    expect(body).not.toContain("site-0-");
  });
});
