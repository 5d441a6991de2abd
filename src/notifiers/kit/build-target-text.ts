/**
 * How the messages (Slack, email) name what a build hook starts: "GitHub Actions acme/web
 * deploy.yml", "GitLab pipeline group/web", "URL https://ci.example". Only what the event carries:
 * never the hook's URL, path or secrets.
 */
import type { BuildRequest } from "../../events/deploy-event.js";

const TARGET_WORDS: Readonly<Record<BuildRequest["target"]["type"], string>> = {
  github_workflow: "GitHub Actions",
  gitlab_pipeline: "GitLab pipeline",
  url: "URL",
};

/** What `build` starts, in words, as one plain-text line (escape it for the output's markup). */
export function buildTargetText(build: BuildRequest): string {
  const { target } = build;
  const what = [target.repository, target.workflow, target.project, target.origin].filter(
    (part): part is string => part !== undefined && part !== "",
  );
  return [TARGET_WORDS[target.type] ?? target.type, ...what].join(" ");
}
