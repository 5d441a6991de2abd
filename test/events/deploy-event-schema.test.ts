import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_NORMALIZE_OPTIONS,
  type DeployEvent,
  isIgnored,
} from "../../src/events/deploy-event.js";
import {
  DEPLOY_EVENT_JSON_SCHEMA_ID,
  deployEventJsonSchema,
  deployEventSchema,
  webhookBody,
  webhookBodySchema,
} from "../../src/events/deploy-event-schema.js";
import { SOURCES } from "../../src/sources/index.js";

type Json = Record<string, unknown>;

interface NormalizedFixture {
  name: string;
  event: DeployEvent;
}

function normalizerOf(name: string) {
  const source = SOURCES.find((s) => s.name === name);
  if (source === undefined) throw new Error(`no source "${name}" in SOURCES`);
  return source.normalize;
}

function readJson(url: URL): Json {
  return JSON.parse(readFileSync(url, "utf8")) as Json;
}

/** Every fixture file of a provider under test/fixtures/<provider>/. */
function fixtureFiles(provider: string): { file: string; payload: Json }[] {
  const dir = new URL(`../fixtures/${provider}/`, import.meta.url);
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .map((file) => ({ file, payload: readJson(new URL(file, dir)) }));
}

/**
 * Runs the real normalizers on every stored payload (GitHub's from `@octokit/webhooks-examples`,
 * the others from test/fixtures) and keeps what became an event. Netlify bodies are also read
 * under each deploy event name they can arrive with, so every deploy kind is covered.
 */
function normalizedFixtures(): NormalizedFixture[] {
  const events: NormalizedFixture[] = [];
  const keep = (name: string, result: ReturnType<ReturnType<typeof normalizerOf>>) => {
    if (!isIgnored(result)) events.push({ name, event: result });
  };

  const github = normalizerOf("github");
  const require = createRequire(import.meta.url);
  const definitions = JSON.parse(
    readFileSync(require.resolve("@octokit/webhooks-examples/api.github.com/index.json"), "utf8"),
  ) as { name: string; examples: Json[] }[];
  for (const name of ["deployment", "deployment_status"]) {
    const examples = definitions.find((d) => d.name === name)?.examples ?? [];
    examples.forEach((payload, index) => {
      keep(
        `github ${name} #${index}`,
        github({ headers: { "x-github-event": name }, payload }, DEFAULT_NORMALIZE_OPTIONS),
      );
    });
  }

  const gitlab = normalizerOf("gitlab");
  for (const { file, payload } of fixtureFiles("gitlab")) {
    keep(`gitlab ${file}`, gitlab({ headers: {}, payload }, DEFAULT_NORMALIZE_OPTIONS));
  }

  const netlify = normalizerOf("netlify");
  const netlifyEvents = [
    undefined,
    "deploy_building",
    "deploy_created",
    "deploy_failed",
    "deploy_locked",
    "deploy_unlocked",
  ];
  for (const { file, payload } of fixtureFiles("netlify")) {
    for (const event of netlifyEvents) {
      const headers: Record<string, string> =
        event === undefined ? {} : { "x-netlify-event": event };
      keep(
        `netlify ${file} as ${event ?? "(state)"}`,
        netlify({ headers, payload }, DEFAULT_NORMALIZE_OPTIONS),
      );
    }
  }
  return events;
}

const fixtures = normalizedFixtures();

describe("deployEventSchema", () => {
  it("has fixture events from every inbound source to check", () => {
    const sources = new Set(fixtures.map((f) => f.event.source));
    expect([...sources].sort()).toEqual(SOURCES.map((s) => s.name).sort());
    const kinds = new Set(fixtures.map((f) => f.event.kind));
    for (const kind of ["deploy.started", "deploy.succeeded", "deploy.failed", "deploy.locked"]) {
      expect(kinds).toContain(kind);
    }
  });

  it.each(fixtures.map((f) => [f.name, f.event] as const))(
    "accepts the normalized %s event, field for field",
    (_name, event) => {
      const parsed = deployEventSchema.safeParse(event);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      // The schema strips keys it does not know, so equality means no field escaped it.
      expect(parsed.data).toEqual(event);
    },
  );

  it("accepts a Netlify form submission and a health alert", () => {
    const submission = normalizerOf("netlify")(
      {
        headers: {},
        payload: {
          id: "6630f8a1b2c3d4e5f6a7b8c9",
          form_id: "5f6a7b8c9d0e1f2a3b4c5d6e",
          form_name: "contact",
          site_url: "https://example.netlify.app",
          created_at: "2024-04-30T14:05:21.123Z",
          data: { name: "Ada", message: "hello", tags: ["a", "b"] },
        },
      },
      DEFAULT_NORMALIZE_OPTIONS,
    );
    if (isIgnored(submission)) throw new Error(`submission ignored: ${submission.reason}`);
    expect(deployEventSchema.parse(submission)).toEqual(submission);

    const alert: DeployEvent = {
      schemaVersion: 1,
      kind: "notification.paused",
      source: "shipcast",
      sourceEvent: "notification.paused",
      project: { name: "shipcast" },
      environment: { name: "production", type: "PRODUCTION" },
      urls: {},
      occurredAt: "2026-01-02T03:04:05.000Z",
      ids: {},
      alert: {
        notification: { id: "ntf_1", kind: "webhook", description: "deploys to ops" },
        state: "paused",
        reason: "4 failures in a row",
        consecutiveFailures: 4,
        disabledUntil: "2026-01-02T03:05:05.000Z",
      },
    };
    expect(deployEventSchema.parse(alert)).toEqual(alert);
  });

  it("rejects events that break the model", () => {
    const [first] = fixtures;
    if (first === undefined) throw new Error("no fixture events");
    expect(deployEventSchema.safeParse({ ...first.event, kind: "deploy.exploded" }).success).toBe(
      false,
    );
    expect(deployEventSchema.safeParse({ ...first.event, schemaVersion: 2 }).success).toBe(false);
    const { occurredAt: _omitted, ...withoutTime } = first.event;
    expect(deployEventSchema.safeParse(withoutTime).success).toBe(false);
    expect(
      deployEventSchema.safeParse({ ...first.event, environment: { name: "x", type: "QA" } })
        .success,
    ).toBe(false);
  });
});

describe("webhookBody", () => {
  it("is the event's fields plus the inbox event id, and matches the body schema after JSON", () => {
    for (const { event } of fixtures) {
      const body = webhookBody("evt_01JB0000000000000000000000", event);
      const sent = JSON.parse(JSON.stringify(body)) as Json;
      expect(Object.keys(sent)[0]).toBe("id");
      expect(sent.id).toBe("evt_01JB0000000000000000000000");
      const { id: _id, ...rest } = sent;
      expect(rest).toEqual(JSON.parse(JSON.stringify(event)));
      expect(webhookBodySchema.safeParse(sent).success).toBe(true);
    }
  });

  it("without an id is not a webhook body", () => {
    const [first] = fixtures;
    if (first === undefined) throw new Error("no fixture events");
    expect(webhookBodySchema.safeParse(JSON.parse(JSON.stringify(first.event))).success).toBe(
      false,
    );
  });
});

describe("deployEventJsonSchema", () => {
  const schema = deployEventJsonSchema();

  it("is a draft 2020-12 JSON Schema with Shipcast's $id, a title and a description", () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(DEPLOY_EVENT_JSON_SCHEMA_ID);
    expect(schema.$id).toBe("https://shipcast.dev/schemas/event/v1.json");
    expect(schema.type).toBe("object");
    expect(schema.title).toEqual(expect.stringContaining("Shipcast"));
    expect(schema.description).toEqual(expect.stringContaining("outgoing webhooks"));
  });

  it("requires the body's id and the event's always-present fields", () => {
    expect(schema.required).toEqual(
      expect.arrayContaining([
        "id",
        "schemaVersion",
        "kind",
        "source",
        "sourceEvent",
        "project",
        "environment",
        "urls",
        "occurredAt",
        "ids",
      ]),
    );
    expect(schema.required).not.toContain("commit");
  });

  it("documents every property and leaves objects open to additive fields", () => {
    const properties = schema.properties as Record<string, Json>;
    for (const [name, property] of Object.entries(properties)) {
      expect(typeof property.description, `description of ${name}`).toBe("string");
    }
    expect(properties.schemaVersion?.const).toBe(1);
    expect(properties.kind?.enum).toEqual(
      expect.arrayContaining(["deploy.succeeded", "notification.paused"]),
    );
    expect(JSON.stringify(schema)).not.toContain('"additionalProperties":false');
  });
});
