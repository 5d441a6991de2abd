/**
 * `shipcast emit`: report a deploy from any pipeline in one line. It builds the generic body
 * (`sources/generic-body.ts`), signs it with Standard Webhooks using the source's secret from
 * `SHIPCAST_SOURCE_SECRET`, posts it to the source's route and prints the answer. A network error,
 * a 429 or a 5xx is retried twice with the same message id, so a retry the server already stored
 * is answered as a duplicate rather than counted twice.
 */
import { randomUUID } from "node:crypto";
import { type Command, InvalidArgumentError, Option } from "commander";
import { ENVIRONMENT_TYPES } from "../events/deploy-event.js";
import { standardWebhookHeaders } from "../outbound/signing.js";
import { sourceWebhookPath } from "../services/sources/source-id.js";
import { GENERIC_KINDS, genericBodySchema } from "../sources/generic-body.js";
import { reasonOf } from "./api-client.js";
import { jsonOption, positiveInteger, urlOption } from "./client-options.js";
import { CliError, EXIT, UsageError } from "./exit-codes.js";
import { fields, processOutput } from "./output.js";

/** The environment variable the source's secret is read from (never a flag: flags show in `ps`). */
export const SOURCE_SECRET_VARIABLE = "SHIPCAST_SOURCE_SECRET";

/** Attempts in all, and the pause before each retry when the server does not say. */
const ATTEMPTS = 3;
const RETRY_DELAYS_MS = [1000, 3000];
/** The longest `Retry-After` honoured. */
const MAX_RETRY_AFTER_MS = 10_000;

interface EmitOptions {
  source: string;
  kind: string;
  project: string;
  environment: string;
  environmentType?: string;
  ref?: string;
  sha?: string;
  repositoryUrl?: string;
  change?: number;
  deployUrl?: string;
  logUrl?: string;
  description?: string;
  actor?: string;
  deployId?: string;
  url: string;
  json?: boolean;
}

/** `shipcast emit --source <id> --kind … --project … --environment …`. */
export function emitCommand(program: Command): Command {
  return program
    .command("emit")
    .description("report a deploy to a generic source, signed with its secret (any CI, one line)")
    .requiredOption(
      "--source <id>",
      "the generic source's id (src_…), or the whole URL the API showed for it",
    )
    .addOption(
      new Option("--kind <kind>", "what happened").choices(GENERIC_KINDS).makeOptionMandatory(),
    )
    .requiredOption("--project <name>", "the project deployed")
    .requiredOption("--environment <name>", "the environment deployed to (production)")
    .addOption(
      new Option(
        "--environment-type <type>",
        `${ENVIRONMENT_TYPES.join(", ")} (default: guessed from the environment's name)`,
      ).argParser((value) => value.toUpperCase()),
    )
    .option("--ref <ref>", "the branch or tag deployed")
    .option("--sha <sha>", "the full commit sha deployed (statuses and PR comments need it)")
    .option("--repository-url <url>", "the repository's web URL (https://github.com/owner/repo)")
    .option("--change <number>", "the pull or merge request, for a preview", changeNumber)
    .option("--deploy-url <url>", "where the deployed site is")
    .option("--log-url <url>", "the deploy log")
    .option("--description <text>", "a line about the deploy; on deploy.failed, the error")
    .option("--actor <name>", "who started the deploy")
    .option("--deploy-id <id>", "your pipeline's id for the deploy (same for started and finished)")
    .addOption(urlOption())
    .addOption(jsonOption())
    .addHelpText(
      "after",
      `
The secret is the source's whsec_ secret, read from ${SOURCE_SECRET_VARIABLE}. Create the source with
POST /api/v1/sources {"kind": "generic", …}; its answer has the id and the URL.

Example (GitHub Actions):
  SHIPCAST_URL=https://shipcast.example.com ${SOURCE_SECRET_VARIABLE}=whsec_… \\
  shipcast emit --source src_… --kind deploy.succeeded --project web \\
    --environment production --sha "$GITHUB_SHA" --ref "$GITHUB_REF_NAME" \\
    --repository-url "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY"`,
    )
    .action(async (options: EmitOptions) => {
      const secret = process.env[SOURCE_SECRET_VARIABLE]?.trim();
      if (!secret) {
        throw new UsageError(
          `no source secret: set ${SOURCE_SECRET_VARIABLE} to the source's whsec_ secret`,
        );
      }
      const body = reportBody(options);
      const target = sourceUrl(options.source, options.url);
      const messageId = `msg_${randomUUID().replaceAll("-", "")}`;
      const { status, text } = await postWithRetries(target, body, secret, messageId);
      let answer: unknown = text;
      try {
        answer = JSON.parse(text);
      } catch {
        // Shown as text.
      }
      const out = processOutput(options.json === true);
      if (out.json) {
        out.data({ source: options.source, url: target, message_id: messageId, status, answer });
      } else {
        for (const line of fields([
          ["sent", `${options.kind} ${options.project} → ${options.environment} to ${target}`],
          ["message", messageId],
          ["answer", `${status} ${typeof answer === "string" ? answer : JSON.stringify(answer)}`],
        ])) {
          out.line(line);
        }
        const id = (answer as { id?: unknown } | null)?.id;
        if (status < 300 && typeof id === "string") out.note(`see it: shipcast events show ${id}`);
      }
      if (status >= 300) {
        const error = (answer as { error?: unknown } | null)?.error;
        throw new CliError(`${status} ${typeof error === "string" ? error : text}`);
      }
    });
}

/** The generic body from the flags, checked against the published format (exit 2 otherwise). */
function reportBody(options: EmitOptions): string {
  const candidate = {
    kind: options.kind,
    project: options.project,
    environment: options.environment,
    environment_type: options.environmentType,
    ref: options.ref,
    sha: options.sha,
    repository_url: options.repositoryUrl,
    change: options.change,
    deploy_url: options.deployUrl,
    log_url: options.logUrl,
    description: options.description,
    actor: options.actor,
    deploy_id: options.deployId,
  };
  const parsed = genericBodySchema.safeParse(candidate);
  if (!parsed.success) {
    const flag = (field: string) => `--${field.replaceAll("_", "-")}`;
    throw new CliError(
      "the report is not valid",
      EXIT.usage,
      parsed.error.issues.map(
        (issue) => `  ${flag(issue.path.map(String).join("."))}: ${issue.message}`,
      ),
    );
  }
  return JSON.stringify(parsed.data);
}

/** Where to post: a whole URL as given, else the source's route on the Shipcast. */
function sourceUrl(source: string, base: string): string {
  if (/^https?:\/\//.test(source)) {
    if (!URL.canParse(source)) throw new UsageError(`--source: not a URL: ${source}`);
    return source;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(source)) {
    throw new UsageError("--source: expected a source id (src_…) or its URL");
  }
  return new URL(sourceWebhookPath(source), base).toString();
}

/**
 * Posts the signed report, signing each attempt afresh (the timestamp must be recent) under the
 * same message id. Retries a network error, 429 and 5xx; resolves with the last answer.
 */
async function postWithRetries(
  url: string,
  body: string,
  secret: string,
  messageId: string,
): Promise<{ status: number; text: string }> {
  for (let attempt = 1; ; attempt++) {
    let signature: ReturnType<typeof standardWebhookHeaders>;
    try {
      signature = standardWebhookHeaders({
        id: messageId,
        timestamp: Math.floor(Date.now() / 1000),
        body,
        secrets: [secret],
      });
    } catch {
      throw new UsageError(
        `${SOURCE_SECRET_VARIABLE} is not a Standard Webhooks secret (whsec_ and base64): use the generic source's secret`,
      );
    }
    let res: Response | undefined;
    let failure: unknown;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "shipcast-emit",
          ...signature,
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      failure = error;
    }
    const retryable = res === undefined || res.status === 429 || res.status >= 500;
    if (!retryable || attempt >= ATTEMPTS) {
      if (res === undefined) throw new CliError(`cannot reach ${url}: ${reasonOf(failure)}`);
      return { status: res.status, text: await res.text() };
    }
    const wait = retryDelay(res, attempt);
    await res?.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** The pause before the next attempt: `Retry-After` (seconds, capped), else the schedule. */
function retryDelay(res: Response | undefined, attempt: number): number {
  const header = Number(res?.headers.get("retry-after"));
  if (Number.isFinite(header) && header >= 0) return Math.min(header * 1000, MAX_RETRY_AFTER_MS);
  return RETRY_DELAYS_MS[attempt - 1] ?? 3000;
}

function changeNumber(value: string): number {
  try {
    return positiveInteger(value);
  } catch {
    throw new InvalidArgumentError("expected a pull or merge request number");
  }
}
