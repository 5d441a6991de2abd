/**
 * Between a build hook as the program uses it (its target with secrets in clear), as it is
 * stored (secrets sealed with `SecretBox`, the rest as JSON) and as answers show it (secrets as
 * `…_set` flags, masked URL). The public part of a stored target carries everything an answer
 * shows, so listing and reading hooks never needs the encryption key.
 */
import type { EnvironmentType } from "../../events/deploy-event.js";
import type { BuildHookTarget } from "../../notifiers/kit/build-hook.js";
import type { BuildHookRow } from "../../store/build-hooks-repository.js";
import type { SecretBox } from "../../store/secret-box.js";
import { EncryptionKeyMissingError } from "../service-errors.js";

export { EncryptionKeyMissingError };

import type { BuildHookView } from "./build-hook-schemas.js";

/** The environment `build.requested` events name when the hook does not say. */
export const DEFAULT_ENVIRONMENT = { name: "production", type: "PRODUCTION" } as const;

const REDACTED = "[redacted]";

/** A build hook, decoded: its target with secrets in clear. */
export interface StoredBuildHook {
  id: string;
  title: string;
  enabled: boolean;
  urlHint: string;
  target: BuildHookTarget;
  allowBranchOverride: boolean;
  rateLimitPerMinute: number;
  project: string | null;
  environment: { name: string; type: EnvironmentType } | null;
  createdAt: string;
  updatedAt: string;
  urlRotatedAt: string | null;
}

/** The fields of each target type that are secrets (write-only, encrypted at rest). */
const SECRET_FIELDS: Readonly<Record<BuildHookTarget["type"], readonly string[]>> = {
  github_workflow: [],
  gitlab_pipeline: ["trigger_token"],
  url: ["headers", "secret", "jws_secret", "standard_webhooks_secret"],
};

/** A URL with credentials or a query string (`?token=…`) is a secret as a whole. */
function isSecretUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== "" || parsed.password !== "" || parsed.search !== "";
  } catch {
    return true;
  }
}

/** A URL fit to show: credentials and the query string masked. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const credentials = parsed.username !== "" || parsed.password !== "" ? `${REDACTED}@` : "";
    const query = parsed.search === "" ? "" : `?${REDACTED}`;
    return `${parsed.protocol}//${credentials}${parsed.host}${parsed.pathname}${query}`;
  } catch {
    return REDACTED;
  }
}

/** The columns of a hook's row that hold its target. */
export function encodeTarget(
  target: BuildHookTarget,
  box: SecretBox | undefined,
): { target_type: string; target: string; secrets: string | null } {
  const values = target as unknown as Record<string, unknown>;
  const secret = SECRET_FIELDS[target.type].filter((name) => {
    const value = values[name];
    if (value === undefined) return false;
    return !(name === "headers" && Object.keys(value as object).length === 0);
  });
  if (target.type === "url" && isSecretUrl(target.url)) secret.push("url");
  const publicPart: Record<string, unknown> = {};
  const secretPart: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (secret.includes(name)) secretPart[name] = value;
    else publicPart[name] = value;
  }
  // What answers show of the secrets: a masked URL, header names, which secrets are set.
  if (typeof secretPart.url === "string") publicPart.url = maskUrl(secretPart.url);
  if (secretPart.headers !== undefined) {
    publicPart.headers = Object.fromEntries(
      Object.keys(secretPart.headers as object).map((name) => [name, REDACTED]),
    );
  }
  publicPart.secrets_set = secret;
  if (secret.length === 0) {
    return { target_type: target.type, target: JSON.stringify(publicPart), secrets: null };
  }
  if (box === undefined) throw new EncryptionKeyMissingError(secret.map((s) => `target.${s}`));
  return {
    target_type: target.type,
    target: JSON.stringify(publicPart),
    secrets: box.seal(JSON.stringify(secretPart)),
  };
}

/** The public part of a stored target, and which secrets it has. */
function publicTarget(row: BuildHookRow): {
  fields: Record<string, unknown>;
  secretsSet: string[];
} {
  const { secrets_set, ...fields } = JSON.parse(row.target) as Record<string, unknown>;
  return { fields, secretsSet: Array.isArray(secrets_set) ? (secrets_set as string[]) : [] };
}

/**
 * A row back to a hook, secrets opened. Throws `SecretBoxError` when they cannot be opened,
 * `EncryptionKeyMissingError` when there is no key to open them with.
 */
export function decodeRow(row: BuildHookRow, box: SecretBox | undefined): StoredBuildHook {
  const { fields } = publicTarget(row);
  if (row.secrets !== null) {
    if (box === undefined) throw new EncryptionKeyMissingError([]);
    Object.assign(fields, JSON.parse(box.open(row.secrets)) as Record<string, unknown>);
  }
  return {
    id: row.id,
    title: row.title,
    enabled: row.enabled === 1,
    urlHint: row.url_hint,
    target: fields as unknown as BuildHookTarget,
    allowBranchOverride: row.allow_branch_override === 1,
    rateLimitPerMinute: row.rate_limit_per_minute,
    project: row.project,
    environment:
      row.environment_name !== null && row.environment_type !== null
        ? { name: row.environment_name, type: row.environment_type as EnvironmentType }
        : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    urlRotatedAt: row.url_rotated_at,
  };
}

/** What answers show of a hook: no secret value, ever, and without opening any. */
export function viewOf(row: BuildHookRow): BuildHookView {
  const { fields, secretsSet } = publicTarget(row);
  const type = row.target_type as BuildHookTarget["type"];
  const target: BuildHookView["target"] = { type };
  const pick = (name: keyof BuildHookView["target"]) => {
    if (fields[name] !== undefined) (target as Record<string, unknown>)[name] = fields[name];
  };
  if (type === "github_workflow") {
    for (const name of ["repository", "workflow", "ref", "inputs"] as const) pick(name);
  } else if (type === "gitlab_pipeline") {
    for (const name of ["project", "ref", "variables"] as const) pick(name);
    target.trigger_token_set = secretsSet.includes("trigger_token");
  } else {
    for (const name of ["url", "ref", "ssl_verification"] as const) pick(name);
    target.headers = (fields.headers as Record<string, string> | undefined) ?? {};
    target.secret_set = secretsSet.includes("secret");
    target.jws_secret_set = secretsSet.includes("jws_secret");
    target.standard_webhooks_secret_set = secretsSet.includes("standard_webhooks_secret");
  }
  return {
    id: row.id,
    title: row.title,
    enabled: row.enabled === 1,
    url_hint: row.url_hint,
    target,
    allow_branch_override: row.allow_branch_override === 1,
    rate_limit_per_minute: row.rate_limit_per_minute,
    project: row.project,
    environment:
      row.environment_name !== null && row.environment_type !== null
        ? { name: row.environment_name, type: row.environment_type as EnvironmentType }
        : { ...DEFAULT_ENVIRONMENT },
    created_at: row.created_at,
    updated_at: row.updated_at,
    url_rotated_at: row.url_rotated_at,
  };
}

/**
 * A hook as the request path needs it, from the row alone (no key, no secret): the target's
 * public fields (a sealed URL in its masked form, which keeps the host) and how events name it.
 */
export function publicHookOf(row: BuildHookRow): Pick<
  StoredBuildHook,
  "id" | "title" | "target" | "project" | "environment"
> & {
  allowBranchOverride: boolean;
} {
  const { fields } = publicTarget(row);
  return {
    id: row.id,
    title: row.title,
    target: fields as unknown as BuildHookTarget,
    project: row.project,
    environment:
      row.environment_name !== null && row.environment_type !== null
        ? { name: row.environment_name, type: row.environment_type as EnvironmentType }
        : null,
    allowBranchOverride: row.allow_branch_override === 1,
  };
}
