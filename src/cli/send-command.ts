import { createHash, createHmac, randomUUID } from "node:crypto";
import { Argument, type Command } from "commander";
import { SignJWT } from "jose";
import { SOURCES } from "../sources/index.js";
import { reasonOf } from "./api-client.js";
import { jsonOption, urlOption } from "./client-options.js";
import { CliError, UsageError } from "./exit-codes.js";
import { fields, processOutput } from "./output.js";
import { findSample, SAMPLES, type Sample, samplePayload } from "./sample-events.js";

/** A request as a provider would send it. */
interface SignedRequest {
  headers: Record<string, string>;
  body: string;
  /** The id the source deduplicates on, to show. */
  deliveryId: string;
}

/**
 * Signs `payload` the way `sample.source` does: GitHub's HMAC in `X-Hub-Signature-256`, GitLab's
 * token in `X-Gitlab-Token`, Netlify's JWS (HS256, `sha256` claim of the body) in
 * `X-Webhook-Signature`; with a new delivery id each time.
 */
export async function signSample(
  sample: Sample,
  payload: Record<string, unknown>,
  secret: string,
): Promise<SignedRequest> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "shipcast-send",
  };
  if (sample.source === "github") {
    const delivery = randomUUID();
    headers["x-github-event"] = sample.eventHeader ?? sample.event;
    headers["x-github-delivery"] = delivery;
    headers["x-hub-signature-256"] =
      `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    return { headers, body, deliveryId: delivery };
  }
  if (sample.source === "gitlab") {
    const delivery = randomUUID();
    headers["x-gitlab-event"] = sample.eventHeader ?? sample.event;
    headers["x-gitlab-token"] = secret;
    headers["x-gitlab-event-uuid"] = delivery;
    headers["x-gitlab-webhook-uuid"] = randomUUID();
    headers["idempotency-key"] = randomUUID();
    return { headers, body, deliveryId: delivery };
  }
  const sha256 = createHash("sha256").update(body).digest("hex");
  headers["x-webhook-signature"] = await new SignJWT({ sha256 })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("netlify")
    .sign(new TextEncoder().encode(secret));
  return { headers, body, deliveryId: String(payload.id) };
}

function samplesHelp(): string {
  const width = Math.max(...SAMPLES.map((s) => `${s.source} ${s.event}`.length));
  const lines = SAMPLES.map((s) => `  ${`${s.source} ${s.event}`.padEnd(width)}  ${s.description}`);
  const secrets = SOURCES.map((s) => `${s.name}: ${s.secretSetting}`).join(", ");
  return `
Samples (real payloads; fresh ids and times on every send):
${lines.join("\n")}

The secret is the one the server verifies with (${secrets}),
read from the environment or .env, or given with --secret.

Example:
  WEBHOOK_SECRET=… shipcast send github deployment_status --url http://localhost:3000`;
}

/** `shipcast send <source> <event>`: a signed sample event to a Shipcast's source route. */
export function sendCommand(program: Command): Command {
  return program
    .command("send")
    .description("sign a sample event and post it to a Shipcast, like the provider would")
    .addArgument(
      new Argument("<source>", "github, gitlab or netlify").choices(SOURCES.map((s) => s.name)),
    )
    .argument("<event>", "the provider's event name (see below)")
    .addOption(urlOption())
    .option("--secret <secret>", "the source's secret (default: from its environment variable)")
    .addOption(jsonOption())
    .addHelpText("after", samplesHelp())
    .action(
      async (
        source: string,
        event: string,
        options: { url: string; secret?: string; json?: boolean },
      ) => {
        const sample = findSample(source, event);
        if (!sample) {
          const known = SAMPLES.filter((s) => s.source === source).map((s) => s.event);
          throw new UsageError(`no ${source} sample "${event}" (known: ${known.join(", ")})`);
        }
        const definition = SOURCES.find((s) => s.name === source);
        if (!definition) throw new UsageError(`unknown source ${source}`);
        const secret = options.secret ?? nonEmpty(process.env[definition.secretSetting]);
        if (secret === undefined) {
          throw new UsageError(
            `no ${definition.title} secret: set ${definition.secretSetting} (as the server has it) or pass --secret`,
          );
        }
        const payload = samplePayload(sample);
        const signed = await signSample(sample, payload, secret);
        const url = new URL(definition.route, options.url).toString();
        let res: Response;
        try {
          res = await fetch(url, {
            method: "POST",
            headers: signed.headers,
            body: signed.body,
            redirect: "manual",
            signal: AbortSignal.timeout(30_000),
          });
        } catch (error) {
          throw new CliError(`cannot reach Shipcast at ${options.url}: ${reasonOf(error)}`);
        }
        const text = await res.text();
        let answer: unknown = text;
        try {
          answer = JSON.parse(text);
        } catch {
          // Shown as text.
        }
        const out = processOutput(options.json === true);
        const result = {
          source,
          event,
          url,
          delivery: signed.deliveryId,
          status: res.status,
          answer,
        };
        if (out.json) out.data(result);
        else {
          for (const line of fields([
            ["sent", `${source} ${event} to ${url}`],
            ["delivery", signed.deliveryId],
            [
              "answer",
              `${res.status} ${typeof answer === "string" ? answer : JSON.stringify(answer)}`,
            ],
          ])) {
            out.line(line);
          }
          const id = (answer as { id?: unknown } | null)?.id;
          if (res.ok && typeof id === "string") out.note(`see it: shipcast events show ${id}`);
        }
        if (!res.ok) {
          const error = (answer as { error?: unknown } | null)?.error;
          throw new CliError(`${res.status} ${typeof error === "string" ? error : text}`);
        }
      },
    );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
