/**
 * The sample events `shipcast send` posts: real payloads, captured from each provider and
 * shipped in `samples/` (GitHub's from `@octokit/webhooks-examples`, GitLab's and Netlify's from
 * the test fixtures), made fresh for each send: new ids where the source deduplicates on them
 * and the current time, so every send is a new event that sorts after the earlier ones.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

type Json = Record<string, unknown>;

/** One sample event `send` can post. */
export interface Sample {
  source: "github" | "gitlab" | "netlify";
  /** The provider's event name, as the user types it. */
  event: string;
  /** What the sample is, for `--help`. */
  description: string;
  /** File under `samples/`. */
  file: string;
  /** The provider's event header value, when it sends one. */
  eventHeader?: string;
  /** Sets the sample's ids and times for a send at `now`. */
  freshen(payload: Json, now: Date): void;
}

/** Every sample, by source and event. */
export const SAMPLES: readonly Sample[] = [
  {
    source: "github",
    event: "deployment",
    description: "a deployment to production was created (deploy started)",
    file: "github.deployment.json",
    eventHeader: "deployment",
    freshen(payload, now) {
      const deployment = payload.deployment as Json;
      deployment.created_at = githubTime(now);
      deployment.updated_at = githubTime(now);
    },
  },
  {
    source: "github",
    event: "deployment_status",
    description: "a production deployment succeeded",
    file: "github.deployment_status.json",
    eventHeader: "deployment_status",
    freshen(payload, now) {
      const status = payload.deployment_status as Json;
      status.created_at = githubTime(now);
      status.updated_at = githubTime(now);
    },
  },
  {
    source: "gitlab",
    event: "deployment",
    description: "a deployment to staging succeeded (Deployment Hook)",
    file: "gitlab.deployment.json",
    eventHeader: "Deployment Hook",
    freshen(payload, now) {
      payload.status_changed_at = gitlabTime(now, "+0000");
    },
  },
  {
    source: "gitlab",
    event: "pipeline",
    description: "a merge-request pipeline deployed to production (Pipeline Hook)",
    file: "gitlab.pipeline.json",
    eventHeader: "Pipeline Hook",
    freshen(payload, now) {
      const attributes = payload.object_attributes as Json;
      attributes.created_at = gitlabTime(now, "UTC");
      attributes.finished_at = gitlabTime(now, "UTC");
      // In the captured pipeline the manual production job was skipped, so nothing deployed;
      // the sample runs it, as a pipeline that deploys does.
      for (const build of payload.builds as Json[]) {
        if (build.stage !== "deploy") continue;
        build.status = "success";
        build.started_at = gitlabTime(now, "UTC");
        build.finished_at = gitlabTime(now, "UTC");
      }
    },
  },
  {
    source: "netlify",
    event: "deploy_created",
    description: "a deploy preview is ready",
    file: "netlify.deploy_created.json",
    freshen: freshenNetlify,
  },
  {
    source: "netlify",
    event: "deploy_failed",
    description: "a deploy preview failed, with its error message",
    file: "netlify.deploy_failed.json",
    freshen: freshenNetlify,
  },
];

/** Netlify sends no delivery id: a deploy reaches each state once, so the deploy id is new. */
function freshenNetlify(payload: Json, now: Date): void {
  payload.id = randomBytes(12).toString("hex");
  payload.created_at = now.toISOString();
  payload.updated_at = now.toISOString();
}

/** GitHub's `2019-05-15T15:20:55Z`. */
function githubTime(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, "Z");
}

/** GitLab's `2021-04-28 21:50:00 +0200` or `2016-08-12 15:23:28 UTC`. */
function gitlabTime(now: Date, zone: "+0000" | "UTC"): string {
  return `${now.toISOString().slice(0, 19).replace("T", " ")} ${zone}`;
}

/** The sample of `event` from `source`, if there is one. */
export function findSample(source: string, event: string): Sample | undefined {
  return SAMPLES.find((s) => s.source === source && s.event === event);
}

/** The sample's payload, fresh for a send at `now`. */
export function samplePayload(sample: Sample, now: Date = new Date()): Json {
  const payload = JSON.parse(
    readFileSync(new URL(`./samples/${sample.file}`, import.meta.url), "utf8"),
  ) as Json;
  sample.freshen(payload, now);
  return payload;
}
