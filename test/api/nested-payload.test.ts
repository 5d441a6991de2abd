import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventDetailSchema, eventSummarySchema, listOf } from "../../src/api/api-schemas.js";
import { ENGINES } from "../helpers/databases.js";
import { githubExamplesOf } from "../helpers/payloads.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { githubSignature } from "../helpers/signing.js";

/** Deeper than any recursive JSON.stringify survives. */
const DEPTH = 20_000;

/** `{"level":{"level":…{"level":"bottom"}…}}`, `depth` objects deep, built as text. */
function nestedText(depth: number): string {
  return `${'{"level":'.repeat(depth)}"bottom"${"}".repeat(depth)}`;
}

/** How many `level` objects lead to "bottom", walked without recursion; -1 if the shape is off. */
function depthOf(value: unknown): number {
  let depth = 0;
  let current = value;
  while (typeof current === "object" && current !== null && "level" in current) {
    current = (current as { level: unknown }).level;
    depth++;
  }
  return current === "bottom" ? depth : -1;
}

describe.each(ENGINES)("a deeply nested payload on %s", (engine) => {
  let app: TestShipcast;
  const auth = { authorization: `Bearer ${SECRETS.admin}` };

  beforeAll(async () => {
    app = await startTestShipcast(engine);
  });
  afterAll(async () => {
    await app?.close();
  });

  it(`shows an accepted deployment_status whose deployment.payload nests ${DEPTH} levels, intact`, async () => {
    const example = githubExamplesOf("deployment_status")[0] as {
      deployment: Record<string, unknown>;
    };
    const marker = `"__nested_${randomUUID()}__"`;
    const body = JSON.stringify({
      ...example,
      deployment: { ...example.deployment, payload: JSON.parse(marker) },
    }).replace(marker, nestedText(DEPTH));
    const accepted = await fetch(`${app.url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "deployment_status",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": githubSignature(SECRETS.github, body),
      },
      body,
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };

    const text = await eventually(async () => {
      const res = await fetch(`${app.url}/api/v1/events/${id}`, { headers: auth });
      expect(res.status).toBe(200);
      const answer = await res.text();
      return (JSON.parse(answer) as { status: string }).status === "pending" ? undefined : answer;
    });
    // JSON.parse is iterative in V8, so the answer can be read back whole.
    const detail = eventDetailSchema.parse(JSON.parse(text));
    expect(detail.id).toBe(id);
    expect(detail.status).toBe("processed");
    const payload = detail.payload as { deployment: { payload: unknown; id: unknown } };
    expect(payload.deployment.id).toBe(example.deployment.id);
    expect(depthOf(payload.deployment.payload)).toBe(DEPTH);
    // The stored payload is answered as it was received.
    expect(text).toContain(body);

    const list = await fetch(`${app.url}/api/v1/events?source=github`, { headers: auth });
    expect(list.status).toBe(200);
    const page = listOf(eventSummarySchema).parse(await list.json());
    expect(page.items.map((item) => item.id)).toContain(id);
  });
});
