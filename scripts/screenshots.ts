/**
 * `npm run screenshots`: starts a real Shipcast (SQLite in a temporary folder) with a local
 * receiver that answers some deliveries 200 and others 500, sends it signed Netlify deploy
 * events through its real route, lets the workers deliver them, and has Chromium (Debian's
 * `chromium`, driven by playwright-core) save the overview, a delivery page and the
 * notification form into docs/screenshots/.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SignJWT } from "jose";
import { pino } from "pino";
import { chromium } from "playwright-core";
import { loadConfig } from "../src/config/env.js";
import { createShipcast } from "../src/shipcast.js";

const OUT = fileURLToPath(new URL("../docs/screenshots/", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ADMIN = "screenshots-admin-token-0123456789";
const NETLIFY_SECRET = "screenshots-netlify-jws-secret";

/** A Netlify deploy notification as Netlify sends it (the fields Shipcast reads). */
function netlifyDeploy(input: {
  id: string;
  site: string;
  state: "building" | "ready" | "error";
  context: "production" | "deploy-preview" | "branch-deploy";
  branch: string;
  sha: string;
  error?: string;
}) {
  const host = `${input.site}.netlify.app`;
  return {
    id: input.id,
    site_id: createHash("sha256").update(input.site).digest("hex").slice(0, 32),
    build_id: `${input.id}b`,
    state: input.state,
    name: input.site,
    url: `https://${host}`,
    ssl_url: `https://${host}`,
    admin_url: `https://app.netlify.com/sites/${input.site}`,
    deploy_ssl_url: `https://${input.id}--${host}`,
    created_at: new Date(Date.now() - 60_000).toISOString(),
    updated_at: new Date().toISOString(),
    error_message: input.error ?? null,
    commit_ref: input.sha,
    branch: input.branch,
    commit_url: `https://github.com/acme/${input.site}/commit/${input.sha}`,
    context: input.context,
    title: "Deploy",
    committer: "octocat",
  };
}

async function netlifySignature(body: string): Promise<string> {
  const sha256 = createHash("sha256").update(body).digest("hex");
  return new SignJWT({ sha256 })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("netlify")
    .sign(new TextEncoder().encode(NETLIFY_SECRET));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "shipcast-screenshots-"));
  // A receiver on loopback: /ok answers 200, /broken a 500 with an HTML page.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url === "/broken") {
        res.writeHead(500, { "content-type": "text/html" });
        res.end("<html><body><h1>502 Bad Gateway</h1><p>upstream timed out</p></body></html>");
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"ok":true}');
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  writeFileSync(
    join(dir, "shipcast.yml"),
    `targets:
  release-tracker: { kind: webhook, url: "${receiverUrl}/ok" }
  staging-dashboard: { kind: webhook, url: "${receiverUrl}/broken" }
routes:
  - notify: [release-tracker, staging-dashboard]
`,
  );
  const env = {
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: `sqlite:${join(dir, "shipcast.db")}`,
    NETLIFY_JWS_SECRET: NETLIFY_SECRET,
    SHIPCAST_ADMIN_TOKEN: ADMIN,
    SHIPCAST_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
    ALLOW_LOCAL_NETWORK: "true",
    // Two quick attempts, then failed: the delivery page shows both.
    DELIVERY_RETRY_SCHEDULE: "200ms",
  };
  const shipcast = await createShipcast(loadConfig(env), pino({ level: "silent" }), {
    cwd: dir,
    env,
  });
  const { port } = await shipcast.listen();
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const auth = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
    const created = await fetch(`${base}/api/v1/notifications`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        kind: "webhook",
        description: "#deploys bot",
        url: `${receiverUrl}/ok`,
        events: ["deploy.failed", "deploy.succeeded"],
        environment_types: ["PRODUCTION"],
        secret: "a-signing-secret",
      }),
    });
    if (created.status !== 201) throw new Error(`notification: ${created.status}`);
    const source = await fetch(`${base}/api/v1/sources`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        kind: "netlify",
        name: "marketing site",
        secret: "a-netlify-jws-secret-0123",
      }),
    });
    if (source.status !== 201) throw new Error(`source: ${source.status}`);

    const deploys = [
      { site: "web-shop", state: "building", context: "production", branch: "main" },
      { site: "web-shop", state: "ready", context: "production", branch: "main" },
      { site: "docs-site", state: "ready", context: "deploy-preview", branch: "fix-typos" },
      {
        site: "api-gateway",
        state: "error",
        context: "branch-deploy",
        branch: "staging",
        error: "Build script returned non-zero exit code: 2",
      },
      { site: "web-shop", state: "ready", context: "deploy-preview", branch: "new-cart" },
    ] as const;
    for (const [index, deploy] of deploys.entries()) {
      const body = JSON.stringify(
        netlifyDeploy({
          id: `64f0c0ffee${String(index).padStart(14, "0")}`,
          sha: createHash("sha1").update(String(index)).digest("hex"),
          ...deploy,
        }),
      );
      const answer = await fetch(`${base}/api/netlify/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-webhook-signature": await netlifySignature(body),
        },
        body,
      });
      if (answer.status !== 202) throw new Error(`netlify: ${answer.status}`);
    }
    // Wait until nothing is pending: every delivery delivered or failed.
    for (let i = 0; ; i++) {
      const page = (await (
        await fetch(`${base}/api/v1/deliveries?status=pending`, { headers: auth })
      ).json()) as { total: number };
      const events = (await (
        await fetch(`${base}/api/v1/events?status=pending`, { headers: auth })
      ).json()) as { total: number };
      if (page.total === 0 && events.total === 0) break;
      if (i > 200) throw new Error("deliveries did not settle");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const failed = (await (
      await fetch(`${base}/api/v1/deliveries?status=failed&limit=1`, { headers: auth })
    ).json()) as { items: Array<{ id: string }> };
    const failedId = failed.items[0]?.id;
    if (!failedId) throw new Error("no failed delivery to show");

    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      timezoneId: "UTC",
      locale: "en-GB",
    });
    const page = await context.newPage();
    await page.goto(`${base}/signin`);
    await page.getByLabel("Token").fill(ADMIN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/`);
    mkdirSync(OUT, { recursive: true });
    // The overview says where to paste; show the host a reader would have.
    await page.screenshot({ path: join(OUT, "overview.png"), fullPage: true });

    await page.goto(`${base}/deliveries/${failedId}`);
    await page.screenshot({ path: join(OUT, "delivery.png"), fullPage: true });

    await page.goto(`${base}/notifications/new?kind=webhook`);
    await page.getByLabel("Description").fill("release tracker");
    await page.getByLabel("Receiver URL").fill("ftp://tracker.example.com/hooks");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByText("must be an http(s) URL").waitFor();
    await page.screenshot({ path: join(OUT, "notification-form.png"), fullPage: true });
    console.log(`saved overview.png, delivery.png, notification-form.png in ${OUT}`);
  } finally {
    await browser.close();
    await shipcast.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
