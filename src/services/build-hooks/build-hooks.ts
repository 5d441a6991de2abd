/**
 * Build hooks as the API (and later the dashboard and the CLI) manages them: create (the URL is
 * shown in that answer only), read, change, rotate the URL, delete, list a hook's triggers with
 * the delivery that started each build; and, for that delivery, the hook with its secrets.
 */

import type { Kysely } from "kysely";
import type { UrlTarget } from "../../notifiers/kit/build-hook.js";
import {
  type BuildTriggerWithDelivery,
  deleteBuildHookRow,
  getBuildHookRow,
  insertBuildHook,
  listBuildHookRows,
  listBuildHookTriggers,
  updateBuildHookRow,
} from "../../store/build-hooks-repository.js";
import type { Page } from "../../store/events-repository.js";
import type { Database } from "../../store/schema.js";
import { KEY_HINT, type SecretBox, SecretBoxError } from "../../store/secret-box.js";
import type { Problem } from "../problems.js";
import { InputError } from "../service-errors.js";
import {
  decodeRow,
  EncryptionKeyMissingError,
  encodeTarget,
  type StoredBuildHook,
  viewOf,
} from "./build-hook-codec.js";
import {
  BUILD_HOOK_PATH_PREFIX,
  hashUrlToken,
  newBuildHookId,
  newUrlToken,
  urlHint,
} from "./build-hook-id.js";
import {
  type BuildHookCreate,
  type BuildHookCreated,
  type BuildHookPatch,
  type BuildHookView,
  type BuildTriggerView,
  buildHookTargetSchema,
} from "./build-hook-schemas.js";

/** A problem with a request, by field. */
export type BuildHookProblem = Problem;

/** A request the build hooks cannot take as it is: every problem, by field (answered 422). */
export class BuildHookInputError extends InputError {
  override name = "BuildHookInputError";
}

/** What this deployment can start, for the checks made when a hook is saved. */
export interface BuildHookAvailability {
  /** Why GitHub Actions targets cannot be started here (no GitHub App), when they cannot. */
  githubOff?: string;
  /** Whether `GITLAB_TOKEN` is set (GitLab targets without a trigger token need it). */
  gitlabToken: boolean;
}

export interface BuildHooksOptions {
  db: Kysely<Database>;
  box: SecretBox | undefined;
  availability: BuildHookAvailability;
  /** The problems of a URL target, by the rules of webhook notifications. */
  urlProblems: (target: UrlTarget) => BuildHookProblem[];
}

/** The build hooks' create, read, update, delete and rotation, over the store. */
export class BuildHooks {
  constructor(private readonly options: BuildHooksOptions) {}

  /**
   * Creates a hook from a validated body. `origin` (scheme, host and port Shipcast is reached
   * at) makes the URL of the answer: the only answer that ever shows it.
   */
  async create(input: BuildHookCreate, origin: string): Promise<BuildHookCreated> {
    const target = this.checkTarget(input.target);
    const encoded = this.encode(target);
    const token = newUrlToken();
    const now = new Date().toISOString();
    const id = newBuildHookId();
    await insertBuildHook(this.options.db, {
      id,
      title: input.title,
      enabled: input.enabled ? 1 : 0,
      url_hash: hashUrlToken(token),
      url_hint: urlHint(token),
      ...encoded,
      allow_branch_override: input.allow_branch_override ? 1 : 0,
      rate_limit_per_minute: input.rate_limit_per_minute,
      project: input.project ?? null,
      environment_name: input.environment?.name ?? null,
      environment_type: input.environment?.type ?? null,
      created_at: now,
      updated_at: now,
      url_rotated_at: null,
    });
    const view = (await this.view(id)) as BuildHookView;
    return { ...view, url: hookUrl(origin, token) };
  }

  /** Every hook, oldest first. */
  async list(): Promise<BuildHookView[]> {
    return (await listBuildHookRows(this.options.db)).map(viewOf);
  }

  async view(id: string): Promise<BuildHookView | undefined> {
    const row = await getBuildHookRow(this.options.db, id);
    return row && viewOf(row);
  }

  /**
   * Applies a validated PATCH: only the fields given change. The target's fields are merged into
   * the current target (secrets not named stay, null removes an optional field), unless `type`
   * changes, which replaces the target as a whole.
   */
  async update(id: string, patch: BuildHookPatch): Promise<BuildHookView | undefined> {
    const row = await getBuildHookRow(this.options.db, id);
    if (!row) return undefined;
    let encoded: ReturnType<BuildHooks["encode"]> | undefined;
    if (patch.target !== undefined) {
      let current: StoredBuildHook;
      try {
        current = this.decode(row);
      } catch (error) {
        if (!(error instanceof EncryptionKeyMissingError || error instanceof SecretBoxError)) {
          throw error;
        }
        // Merging needs the secrets that stay; without them, only a whole new target will do.
        throw new BuildHookInputError([
          {
            field: "target",
            message: `the target's secrets cannot be opened (${error.message}); give a complete target with another type, or delete the hook`,
          },
        ]);
      }
      encoded = this.encode(this.checkTarget(mergeTarget(current.target, patch.target)));
    }
    const changes = {
      ...(patch.title === undefined ? {} : { title: patch.title }),
      ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
      ...(patch.allow_branch_override === undefined
        ? {}
        : { allow_branch_override: patch.allow_branch_override ? 1 : 0 }),
      ...(patch.rate_limit_per_minute === undefined
        ? {}
        : { rate_limit_per_minute: patch.rate_limit_per_minute }),
      ...(patch.project === undefined ? {} : { project: patch.project }),
      ...(patch.environment === undefined
        ? {}
        : {
            environment_name: patch.environment?.name ?? null,
            environment_type: patch.environment?.type ?? null,
          }),
      ...(encoded ?? {}),
    };
    await updateBuildHookRow(this.options.db, id, {
      ...changes,
      updated_at: new Date().toISOString(),
    });
    return this.view(id);
  }

  /** Deletes a hook (its triggers' events and deliveries stay); false when unknown. */
  remove(id: string): Promise<boolean> {
    return deleteBuildHookRow(this.options.db, id);
  }

  /**
   * Gives the hook a new URL, shown in this answer only; the old one stops working at once (it
   * is looked up by its hash, which no row has any more). Undefined when the hook is unknown.
   */
  async rotate(id: string, origin: string): Promise<BuildHookCreated | undefined> {
    const token = newUrlToken();
    const now = new Date().toISOString();
    const changed = await updateBuildHookRow(this.options.db, id, {
      url_hash: hashUrlToken(token),
      url_hint: urlHint(token),
      url_rotated_at: now,
      updated_at: now,
    });
    if (!changed) return undefined;
    const view = (await this.view(id)) as BuildHookView;
    return { ...view, url: hookUrl(origin, token) };
  }

  /** A hook's triggers, newest first, with their build's delivery; undefined for no hook. */
  async triggers(
    id: string,
    page: { limit: number; after?: string },
    now = new Date().toISOString(),
  ): Promise<Page<BuildTriggerView> | undefined> {
    if (!(await getBuildHookRow(this.options.db, id))) return undefined;
    const found = await listBuildHookTriggers(this.options.db, id, page);
    return { ...found, items: found.items.map((row) => triggerView(row, now)) };
  }

  /**
   * The hook with its secrets, for the delivery that starts its build; undefined once deleted.
   * Throws when its secrets cannot be opened (a changed key): the delivery is retried.
   */
  async load(id: string): Promise<StoredBuildHook | undefined> {
    const row = await getBuildHookRow(this.options.db, id);
    return row && this.decode(row);
  }

  private decode(row: Parameters<typeof decodeRow>[0]): StoredBuildHook {
    return decodeRow(row, this.options.box);
  }

  /** Validates a (merged) target and checks this deployment can start it. */
  private checkTarget(input: unknown) {
    const parsed = buildHookTargetSchema.safeParse(input);
    if (!parsed.success) {
      throw new BuildHookInputError(
        parsed.error.issues.map((issue) => ({
          field: ["target", ...issue.path.map(String)].join("."),
          message: issue.message,
        })),
      );
    }
    const target = parsed.data;
    const { availability } = this.options;
    const problems: BuildHookProblem[] = [];
    if (target.type === "github_workflow" && availability.githubOff !== undefined) {
      problems.push({
        field: "target.type",
        message: `GitHub Actions targets need the GitHub App: ${availability.githubOff}`,
      });
    }
    if (
      target.type === "gitlab_pipeline" &&
      target.trigger_token === undefined &&
      !availability.gitlabToken
    ) {
      problems.push({
        field: "target.trigger_token",
        message:
          "required without GITLAB_TOKEN (give a pipeline trigger token, or set GITLAB_TOKEN to create pipelines as its user)",
      });
    }
    if (target.type === "url") {
      for (const problem of this.options.urlProblems(target)) {
        problems.push({ field: `target.${problem.field}`, message: problem.message });
      }
    }
    if (problems.length > 0) throw new BuildHookInputError(problems);
    return target;
  }

  /** Seals the target's secrets; without a key, a target carrying one is refused by field. */
  private encode(target: Parameters<typeof encodeTarget>[0]) {
    try {
      return encodeTarget(target, this.options.box);
    } catch (error) {
      if (error instanceof EncryptionKeyMissingError) {
        throw new BuildHookInputError(
          error.fields.map((field) => ({
            field,
            message: `is a secret, and SHIPCAST_ENCRYPTION_KEY is not set: ${KEY_HINT}`,
          })),
        );
      }
      throw error;
    }
  }
}

/** The hook's URL: `origin` + `/build_hooks/<token>`. */
function hookUrl(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, "")}${BUILD_HOOK_PATH_PREFIX}${token}`;
}

/**
 * The target a PATCH asks for: the current one with the given fields (null removes one), or,
 * when `type` changes, the patch alone.
 */
function mergeTarget(current: object, patch: Record<string, unknown>): Record<string, unknown> {
  const currentType = (current as { type: string }).type;
  if (patch.type !== undefined && patch.type !== currentType) return patch;
  const next: Record<string, unknown> = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return next;
}

function triggerView(row: BuildTriggerWithDelivery, now: string): BuildTriggerView {
  return {
    id: row.id,
    received_at: row.received_at,
    ref: row.ref,
    title: row.title,
    delivery:
      row.delivery_id === null || row.delivery_status === null
        ? null
        : {
            id: row.delivery_id,
            status: row.delivery_status,
            in_flight:
              row.delivery_status === "pending" &&
              row.delivery_lease_until !== null &&
              row.delivery_lease_until > now,
            attempts: row.delivery_attempts ?? 0,
            last_error: row.delivery_last_error,
            next_attempt_at:
              row.delivery_status === "pending" ? row.delivery_next_attempt_at : null,
            completed_at: row.delivery_completed_at,
          },
  };
}
