import { beforeEach, describe, expect, it } from "vitest";
import type { DeployEvent } from "../../../src/events/deploy-event.js";
import { createGithubClients } from "../../../src/notifiers/github/github-clients.js";
import {
  REPOSITORY_NOTIFY_KIND,
  repositoryNotifyNotifier,
} from "../../../src/notifiers/github/repository-notify.js";
import { RepositorySettingsCache } from "../../../src/notifiers/github/repository-settings.js";
import type { AttemptResult } from "../../../src/notifiers/kit/notifier.js";
import {
  createTestProbot,
  deliveryContext,
  github,
  mockInstallation,
  mockNotInstalled,
  mockRepositoryReady,
  mockToken,
  netlifyEvent,
  OWNER,
  REPO,
  useStrictNock,
} from "./github-test-kit.js";

let notifier: ReturnType<typeof repositoryNotifyNotifier>;

beforeEach(() => {
  notifier = repositoryNotifyNotifier({
    clients: createGithubClients(createTestProbot()),
    settingsCache: new RepositorySettingsCache(),
  });
});

function deliver(event: DeployEvent): Promise<AttemptResult> {
  return notifier.deliver({}, deliveryContext(event));
}

describe("the repository notify reader", () => {
  useStrictNock();

  it("answers the names under notify in the file's order, without the default outputs", async () => {
    mockRepositoryReady("statuses: false\nnotify: [team-chat, github-comment, release-mail]\n");
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "succeeded",
      response: JSON.stringify({ notify: ["team-chat", "release-mail"] }),
      followUps: ["team-chat", "release-mail"],
    });
  });

  it("skips, saying so, when the repository names no targets or has no file", async () => {
    mockRepositoryReady();
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason: "no targets under notify in .github/shipcast.yml",
    });
  });

  it("skips an environment the repository did not list", async () => {
    mockRepositoryReady("environments: [production]\nnotify: [team-chat]\n");
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason:
        "environment deploy-preview (PREVIEW) is not in the environments of .github/shipcast.yml",
    });
  });

  it("fails for good on a broken file, naming the problem", async () => {
    mockRepositoryReady("notify: team-chat\n");
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "failed",
      error: ".github/shipcast.yml: notify: expected a list of target names",
    });
  });

  it("skips a repository the app is not installed on", async () => {
    mockNotInstalled();
    expect(await deliver(netlifyEvent())).toEqual({
      outcome: "skipped",
      reason: `the Shipcast GitHub App is not installed on ${OWNER}/${REPO}`,
    });
  });

  it("retries when GitHub cannot give the file", async () => {
    mockInstallation();
    mockToken();
    github()
      .get(`/repos/${OWNER}/${REPO}/contents/.github%2Fshipcast.yml`)
      .reply(503, { message: "Service Unavailable" });
    expect(await deliver(netlifyEvent())).toMatchObject({
      outcome: "retry",
      error: "GitHub answered 503 while reading .github/shipcast.yml: Service Unavailable",
    });
  });

  it("serves only events with a GitHub repository and a commit, and reads every event's list", () => {
    const event = netlifyEvent();
    expect(notifier.accepts?.(event)).toBe(true);
    const { commit: _commit, ...withoutCommit } = event;
    expect(notifier.accepts?.(withoutCommit)).toBe(false);
    expect(notifier.everyEvent).toBe(true);
    expect(notifier.kind).toBe(REPOSITORY_NOTIFY_KIND);
  });
});
