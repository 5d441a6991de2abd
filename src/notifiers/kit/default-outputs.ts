/**
 * The outputs every event with a repository and a commit gets without a route: commit statuses
 * and the sticky pull/merge-request comment. Each is on by default when its provider is
 * configured; `defaults` in the routing file turns one off (`false`) or narrows it (filters).
 */
export const DEFAULT_OUTPUT_KINDS = [
  "github-status",
  "github-comment",
  "gitlab-status",
  "gitlab-comment",
] as const;
export type DefaultOutputKind = (typeof DEFAULT_OUTPUT_KINDS)[number];
