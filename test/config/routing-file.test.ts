// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the routing file's ${VAR} syntax is what is under test
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  loadRoutingFile,
  parseRoutingConfig,
  type RoutingConfig,
  RoutingFileError,
} from "../../src/config/routing-file.js";
import { defineNotifier } from "../../src/notifiers/kit/notifier.js";
import { NotifierRegistry } from "../../src/notifiers/kit/registry.js";

/** Stand-ins for the real notifiers (written elsewhere): only their settings schemas matter. */
function testRegistry(): NotifierRegistry {
  const deliver = async () => ({ outcome: "succeeded" as const });
  return new NotifierRegistry()
    .register(
      defineNotifier({
        kind: "slack",
        settings: z.object({ url: z.string().url() }).strict(),
        deliver,
      }),
    )
    .register(
      defineNotifier({
        kind: "email",
        settings: z.object({ to: z.array(z.string().email()).min(1) }).strict(),
        deliver,
      }),
    );
}

const registry = testRegistry();
const env = { SLACK_WEBHOOK_URL: "https://hooks.slack.example/T000/B000/xyz" };

const FULL = `# Shipcast routing
targets:
  ops-slack: { kind: slack, url: "\${SLACK_WEBHOOK_URL}" }
  release-mail:
    kind: email
    to: [release@example.com, ops@example.com]
routes:
  - events: [deploy.failed, deploy.succeeded]
    environments: [PRODUCTION, staging]
    projects: ["web*"]
    branches: ["main", "release/*"]
    notify: [ops-slack, release-mail]
  - events: all
    notify: [ops-slack]
  - notify: [release-mail]
alerts: [ops-slack]
`;

function parse(text: string, vars: Record<string, string | undefined> = env): RoutingConfig {
  return parseRoutingConfig(text, "shipcast.yml", vars, registry);
}

/** The problem lines of the error `parse(text)` throws. */
function problemLines(text: string, vars: Record<string, string | undefined> = env): string[] {
  try {
    parse(text, vars);
  } catch (error) {
    expect(error).toBeInstanceOf(RoutingFileError);
    return (error as Error).message
      .split("\n")
      .slice(1)
      .map((line) => line.trim());
  }
  throw new Error("expected a RoutingFileError");
}

describe("parseRoutingConfig", () => {
  it("reads a full file: targets with validated settings, routes, alerts", () => {
    const config = parse(FULL);
    expect(config.file).toBe("shipcast.yml");
    expect([...config.targets.keys()]).toEqual(["ops-slack", "release-mail"]);
    expect(config.targets.get("ops-slack")).toEqual({
      name: "ops-slack",
      kind: "slack",
      settings: { url: "https://hooks.slack.example/T000/B000/xyz" },
      source: "file",
    });
    expect(config.targets.get("release-mail")?.settings).toEqual({
      to: ["release@example.com", "ops@example.com"],
    });
    expect(config.routes).toEqual([
      {
        events: ["deploy.failed", "deploy.succeeded"],
        environments: ["PRODUCTION", "STAGING"],
        projects: ["web*"],
        branches: ["main", "release/*"],
        notify: ["ops-slack", "release-mail"],
      },
      { events: "all", notify: ["ops-slack"] },
      { events: "all", notify: ["release-mail"] },
    ]);
    expect(config.alerts).toEqual(["ops-slack"]);
  });

  it.each([
    ["an empty file", ""],
    ["a file of comments", "# nothing routed yet\n"],
    ["empty top-level keys", "targets:\nroutes:\nalerts:\n"],
  ])("treats %s as no targets, no routes, no alerts", (_name, text) => {
    const config = parse(text);
    expect(config.targets.size).toBe(0);
    expect(config.routes).toEqual([]);
    expect(config.alerts).toEqual([]);
  });

  it("reads repository_targets, each name once; none by default", () => {
    expect(parse(FULL).repositoryTargets).toEqual([]);
    expect(parse("repository_targets:\n").repositoryTargets).toEqual([]);
    const config = parse(`${FULL}repository_targets: [release-mail, ops-slack, release-mail]\n`);
    expect(config.repositoryTargets).toEqual(["release-mail", "ops-slack"]);
  });

  it("reports a repository_targets entry that names no target, with its line", () => {
    expect(problemLines(`${FULL}repository_targets: [ops-slack, team-chat]\n`)).toEqual([
      'shipcast.yml:17 repository_targets[1]: unknown target "team-chat" (known: ops-slack, release-mail)',
    ]);
  });

  it("refuses target names of the shape of a notification's or a build hook's id", () => {
    // A `bhk_` name would resolve to the build hook of that id, never to the file's target.
    expect(
      problemLines(
        "targets:\n  bhk_deploy: { kind: email, to: [a@example.com] }\n  NTF_x: { kind: email, to: [a@example.com] }\n",
      ),
    ).toEqual([
      'shipcast.yml:2 targets.bhk_deploy: target names starting with "bhk_" are reserved for build hooks',
      'shipcast.yml:3 targets.NTF_x: target names starting with "ntf_" are reserved for notifications created through the API',
    ]);
  });

  it("reserves the internal repository notify reader: neither a target name nor a kind", () => {
    const withReader = testRegistry().register(
      defineNotifier({
        kind: "github-repository-notify",
        settings: z.object({}).strict(),
        deliver: async () => ({ outcome: "succeeded" as const }),
      }),
    );
    const problems = (text: string) => {
      try {
        parseRoutingConfig(text, "shipcast.yml", env, withReader);
      } catch (error) {
        return (error as RoutingFileError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    expect(problems("targets:\n  x: { kind: github-repository-notify }\n")).toEqual([
      'targets.x.kind: unknown kind "github-repository-notify" (known: email, slack)',
    ]);
    expect(
      problems("targets:\n  github-repository-notify: { kind: email, to: [a@example.com] }\n"),
    ).toEqual(["targets.github-repository-notify: reserved for Shipcast's own deliveries"]);
  });

  it("interpolates ${VAR} in any string value, after parsing the YAML", () => {
    const config = parse(
      `targets:
  ops-slack: { kind: "\${KIND}", url: "https://\${HOST}/hooks/\${HOOK}" }
routes:
  - projects: ["\${PROJECT}"]
    notify: [ops-slack]
`,
      // A value that looks like YAML stays a plain string: it cannot add keys or items.
      { KIND: "slack", HOST: "hooks.example", HOOK: "a", PROJECT: "web, other: [x]" },
    );
    expect(config.targets.get("ops-slack")?.settings).toEqual({
      url: "https://hooks.example/hooks/a",
    });
    expect(config.routes[0]?.projects).toEqual(["web, other: [x]"]);
  });

  it("reads $${VAR} as a literal ${VAR}", () => {
    const config = parse(
      `targets:
  ops-slack: { kind: slack, url: "https://hooks.example/?q=$\${NOT_A_VAR}&r=\${HOST}" }
routes:
  - projects: ["$\${literal}", "cost-$$"]
    notify: [ops-slack]
`,
      { HOST: "x" },
    );
    expect(config.targets.get("ops-slack")?.settings).toEqual({
      url: "https://hooks.example/?q=${NOT_A_VAR}&r=x",
    });
    expect(config.routes[0]?.projects).toEqual(["${literal}", "cost-$$"]);
  });

  it("names an unset variable and where it is used, and only that", () => {
    expect(
      problemLines(
        `targets:
  ops-slack:
    kind: slack
    url: "\${SLACK_WEBHOOK_URL}"
`,
        {},
      ),
    ).toEqual([
      "shipcast.yml:4 targets.ops-slack.url: environment variable SLACK_WEBHOOK_URL is not set",
    ]);
  });

  it("still reports an unknown key whose value names an unset variable", () => {
    expect(problemLines('extra: "${MISSING}"\n', {})).toEqual([
      "shipcast.yml:1 extra: environment variable MISSING is not set",
      "shipcast.yml:1 extra: unknown key (allowed: targets, defaults, routes, alerts, repository_targets)",
    ]);
  });

  it("does not look variables up on Object.prototype", () => {
    expect(problemLines('alerts: ["${constructor}"]\n', {})).toEqual([
      "shipcast.yml:1 alerts[0]: environment variable constructor is not set",
    ]);
  });

  it("rejects malformed references", () => {
    expect(problemLines('alerts: ["${not a name}", "${OPEN"]\n', {})).toEqual([
      'shipcast.yml:1 alerts[0]: invalid variable reference "${not a name}" (write "$${" for a literal "${")',
      'shipcast.yml:1 alerts[1]: unterminated "${" (write "$${" for a literal "${")',
    ]);
  });

  it.each([
    [
      "an unknown target in notify",
      `targets:
  ops-slack: { kind: slack, url: "https://x.example" }
  release-mail: { kind: email, to: [a@example.com] }
routes:
  - events: all
    notify:
      - ops-slack
      - ops-slak
`,
      'shipcast.yml:8 routes[0].notify[1]: unknown target "ops-slak" (known: ops-slack, release-mail)',
    ],
    [
      "an unknown target in alerts",
      "alerts: [pager]\n",
      'shipcast.yml:1 alerts[0]: unknown target "pager" (no targets are defined)',
    ],
    [
      "an unknown kind, listing the known kinds",
      "targets:\n  chat:\n    kind: teams\n    url: https://x.example\n",
      'shipcast.yml:3 targets.chat.kind: unknown kind "teams" (known: email, slack)',
    ],
    [
      "a missing kind",
      "targets:\n  chat:\n    url: https://x.example\n",
      "shipcast.yml:2 targets.chat.kind: required (known kinds: email, slack)",
    ],
    [
      "a setting the notifier's schema rejects",
      "targets:\n  chat:\n    kind: slack\n    url: not a url\n",
      "shipcast.yml:4 targets.chat.url: Invalid URL",
    ],
    [
      "a setting the notifier does not know",
      "targets:\n  chat: { kind: slack, url: 'https://x.example', channel: '#ops' }\n",
      "shipcast.yml:2 targets.chat.channel: unknown key",
    ],
    [
      "an invalid target name",
      "targets:\n  ops slack: { kind: slack, url: 'https://x.example' }\n",
      'shipcast.yml:2 targets["ops slack"]: invalid target name: use letters, digits, "-" and "_", starting with a letter or digit',
    ],
    [
      "an unknown event kind",
      "targets:\n  t: { kind: email, to: [a@example.com] }\nroutes:\n  - events: [deploy.failed, deploy.fial]\n    notify: [t]\n",
      'shipcast.yml:4 routes[0].events[1]: unknown event kind "deploy.fial" (known: deploy.started, deploy.succeeded, deploy.failed, deploy.cancelled, deploy.locked, deploy.unlocked, form.submitted, build.requested)',
    ],
    [
      "events neither all nor a list",
      "targets:\n  t: { kind: email, to: [a@example.com] }\nroutes:\n  - events: deploy.failed\n    notify: [t]\n",
      'shipcast.yml:4 routes[0].events: expected "all" or a list of event kinds (deploy.started, deploy.succeeded, deploy.failed, deploy.cancelled, deploy.locked, deploy.unlocked, form.submitted, build.requested)',
    ],
    [
      "an empty events list",
      "targets:\n  t: { kind: email, to: [a@example.com] }\nroutes:\n  - events: []\n    notify: [t]\n",
      "shipcast.yml:4 routes[0].events: must not be empty",
    ],
    [
      "an unknown environment type",
      "targets:\n  t: { kind: email, to: [a@example.com] }\nroutes:\n  - environments: [production, qa]\n    notify: [t]\n",
      'shipcast.yml:4 routes[0].environments[1]: unknown environment type "qa" (known: PRODUCTION, STAGING, DEVELOPMENT, PREVIEW)',
    ],
    [
      "an empty filter list",
      "targets:\n  t: { kind: email, to: [a@example.com] }\nroutes:\n  - branches: []\n    notify: [t]\n",
      "shipcast.yml:4 routes[0].branches: must not be empty (omit the key to match every branch)",
    ],
    [
      "an empty project pattern",
      "targets:\n  t: { kind: email, to: [a@example.com] }\nroutes:\n  - projects: ['']\n    notify: [t]\n",
      "shipcast.yml:4 routes[0].projects[0]: must not be empty",
    ],
    ["a missing notify", "routes:\n  - events: all\n", "shipcast.yml:2 routes[0].notify: required"],
    [
      "an empty notify",
      "routes:\n  - notify: []\n",
      "shipcast.yml:2 routes[0].notify: must not be empty",
    ],
    [
      "a route key with a typo",
      "targets:\n  t: { kind: email, to: [a@example.com] }\nroutes:\n  - notify: [t]\n    enviroments: [PRODUCTION]\n",
      "shipcast.yml:5 routes[0].enviroments: unknown key (allowed: events, environments, projects, branches, notify)",
    ],
    [
      "an unknown top-level key",
      "target: {}\n",
      "shipcast.yml:1 target: unknown key (allowed: targets, defaults, routes, alerts, repository_targets)",
    ],
    ["a wrong type", "routes: {}\n", "shipcast.yml:1 routes: expected a list, got a mapping"],
    [
      "a file that is not a mapping",
      "- notify: [t]\n",
      "shipcast.yml:1 (top level): expected a mapping, got a list",
    ],
  ])("reports %s with its path and line", (_name, text, line) => {
    expect(problemLines(text)).toEqual([line]);
  });

  it("lists every problem at once, in line order", () => {
    const text = `targets:
  ops-slack: { kind: slack, url: "\${MISSING}" }
  mail: { kind: email, to: [] }
  chat: { kind: teams }
routes:
  - events: [deploy.done]
    notify: [ops-slak]
  - notify: [mail]
    projects: web
alerts: [pager]
extra: true
`;
    expect(problemLines(text, {})).toEqual([
      "shipcast.yml:2 targets.ops-slack.url: environment variable MISSING is not set",
      "shipcast.yml:3 targets.mail.to: must not be empty",
      'shipcast.yml:4 targets.chat.kind: unknown kind "teams" (known: email, slack)',
      'shipcast.yml:6 routes[0].events[0]: unknown event kind "deploy.done" (known: deploy.started, deploy.succeeded, deploy.failed, deploy.cancelled, deploy.locked, deploy.unlocked, form.submitted, build.requested)',
      'shipcast.yml:7 routes[0].notify[0]: unknown target "ops-slak" (known: chat, mail, ops-slack)',
      'shipcast.yml:9 routes[1].projects: expected a list, got a string ("web")',
      'shipcast.yml:10 alerts[0]: unknown target "pager" (known: chat, mail, ops-slack)',
      "shipcast.yml:11 extra: unknown key (allowed: targets, defaults, routes, alerts, repository_targets)",
    ]);
  });

  it("names the file and counts the problems in the first line", () => {
    expect(() => parse("alerts: [a, b]\n")).toThrow(
      /^Cannot load routing file shipcast\.yml \(2 problems\):\n {2}shipcast\.yml:1 alerts\[0\]/,
    );
  });

  it("exposes the problems structured", () => {
    try {
      parse("routes:\n  - notify: [ghost]\n");
      expect.unreachable();
    } catch (error) {
      expect((error as RoutingFileError).file).toBe("shipcast.yml");
      expect((error as RoutingFileError).problems).toEqual([
        {
          line: 2,
          path: "routes[0].notify[0]",
          message: 'unknown target "ghost" (no targets are defined)',
        },
      ]);
    }
  });

  it.each([
    [
      "an unclosed flow sequence",
      "targets:\n  t: { kind: email, to: [a@example.com }\nroutes: []\n",
      /^shipcast\.yml:2 syntax: /,
    ],
    [
      "a duplicate key",
      "routes: []\nalerts: []\nroutes: []\n",
      /^shipcast\.yml:3 syntax: Map keys must be unique/,
    ],
    ["a tab indentation", "targets:\n\tt: {}\n", /^shipcast\.yml:2 syntax: /],
    [
      "exponential aliases",
      `a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
`,
      /^shipcast\.yml: Excessive alias count/,
    ],
  ])("reports a YAML syntax error (%s) with its line", (_name, text, pattern) => {
    const lines = problemLines(text);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(pattern);
  });
});

describe("loadRoutingFile", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "shipcast-routing-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads shipcast.yml from cwd", () => {
    writeFileSync(join(dir, "shipcast.yml"), FULL);
    const config = loadRoutingFile({ cwd: dir, env, registry });
    expect(config.file).toBe(join(dir, "shipcast.yml"));
    expect([...config.targets.keys()]).toEqual(["ops-slack", "release-mail"]);
    expect(config.routes).toHaveLength(3);
  });

  it("is an empty configuration when there is no file and SHIPCAST_CONFIG is unset", () => {
    expect(loadRoutingFile({ cwd: dir, env: {}, registry })).toEqual({
      file: undefined,
      targets: new Map(),
      routes: [],
      alerts: [],
      repositoryTargets: [],
      defaultOutputs: [],
    });
  });

  it("reads the file SHIPCAST_CONFIG names, relative to cwd", () => {
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "conf", "routes.yml"), FULL);
    writeFileSync(join(dir, "shipcast.yml"), "alerts: [ignored]\n");
    const config = loadRoutingFile({
      cwd: dir,
      env: { ...env, SHIPCAST_CONFIG: "conf/routes.yml" },
      registry,
    });
    expect(config.file).toBe(join(dir, "conf", "routes.yml"));
    expect(config.alerts).toEqual(["ops-slack"]);
  });

  it("fails when SHIPCAST_CONFIG names a missing file", () => {
    const missing = join(dir, "nope.yml");
    expect(() =>
      loadRoutingFile({ cwd: dir, env: { SHIPCAST_CONFIG: missing }, registry }),
    ).toThrow(
      `Cannot load routing file ${missing} (1 problem):\n  ${missing}: cannot read: no such file (named by SHIPCAST_CONFIG)`,
    );
    expect(() =>
      loadRoutingFile({ cwd: dir, env: { SHIPCAST_CONFIG: "conf/nope.yml" }, registry }),
    ).toThrow(
      `conf/nope.yml: cannot read: no such file (named by SHIPCAST_CONFIG, resolved to ${join(dir, "conf", "nope.yml")})`,
    );
  });

  it("fails when shipcast.yml exists but cannot be read", () => {
    mkdirSync(join(dir, "shipcast.yml"));
    expect(() => loadRoutingFile({ cwd: dir, env: {}, registry })).toThrow(
      `shipcast.yml: cannot read: is a directory (resolved to ${join(dir, "shipcast.yml")})`,
    );
  });

  it("fails when the path option names a missing file", () => {
    expect(() => loadRoutingFile({ path: "missing.yml", cwd: dir, env: {}, registry })).toThrow(
      RoutingFileError,
    );
  });

  it("names the file as given in problems", () => {
    writeFileSync(join(dir, "shipcast.yml"), "routes:\n  - notify: [ghost]\n");
    expect(() => loadRoutingFile({ cwd: dir, env: {}, registry })).toThrow(
      'shipcast.yml:2 routes[0].notify[0]: unknown target "ghost"',
    );
  });
});

describe("default outputs (commit statuses and comments)", () => {
  const statusNotifier = defineNotifier({
    kind: "github-status",
    settings: z.object({}).strict(),
    async deliver() {
      return { outcome: "succeeded" as const };
    },
  });
  const commentNotifier = defineNotifier({ ...statusNotifier, kind: "github-comment" });
  const withGithub = () =>
    new NotifierRegistry().register(statusNotifier).register(commentNotifier);

  it("adds a target and a catch-all route for each default output this deployment serves", () => {
    const config = parseRoutingConfig("", "shipcast.yml", {}, withGithub());
    expect([...config.targets.values()].map((t) => [t.name, t.kind, t.source])).toEqual([
      ["github-status", "github-status", "default"],
      ["github-comment", "github-comment", "default"],
    ]);
    expect(config.routes).toEqual([
      { events: "all", notify: ["github-status"] },
      { events: "all", notify: ["github-comment"] },
    ]);
    expect(config.defaultOutputs).toEqual(["github-status", "github-comment"]);
  });

  it("turns one off with false and narrows another with filters", () => {
    const config = parseRoutingConfig(
      "defaults:\n  github-status: false\n  github-comment: { environments: [preview] }\n",
      "shipcast.yml",
      {},
      withGithub(),
    );
    expect([...config.targets.keys()]).toEqual(["github-comment"]);
    expect(config.defaultOutputs).toEqual(["github-comment"]);
    expect(config.routes).toEqual([
      { events: "all", environments: ["PREVIEW"], notify: ["github-comment"] },
    ]);
  });

  it("adds nothing for outputs whose provider is not configured", () => {
    const config = parseRoutingConfig("", "shipcast.yml", {}, new NotifierRegistry());
    expect(config.targets.size).toBe(0);
    expect(config.routes).toEqual([]);
  });

  it("reports a bad defaults entry with its path and line", () => {
    expect(() =>
      parseRoutingConfig("defaults:\n  github-status: maybe\n", "shipcast.yml", {}, withGithub()),
    ).toThrow(/shipcast\.yml:2 defaults\.github-status: expected true, false, or filters/);
    expect(() =>
      parseRoutingConfig("defaults:\n  jira: true\n", "shipcast.yml", {}, withGithub()),
    ).toThrow(/shipcast\.yml:2 defaults\.jira: unknown key/);
  });
});
