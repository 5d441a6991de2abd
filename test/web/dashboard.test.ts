/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
 * Shipcast: events sent through the real Netlify route, deliveries to a real local receiver.
 */
import { randomUUID } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, signIn, watchDialogs } from "../helpers/browser.js";
import { fixtureText } from "../helpers/payloads.js";
import { startHttpReceiver } from "../helpers/receivers.js";
import { eventually, SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";
import { netlifySignature } from "../helpers/signing.js";

const XSS_PROJECT = "<img src=x onerror=alert(1)>";
const HTML_ANSWER = '<h1>down</h1><script>alert("answer")</script><img src=x onerror=alert(2)>';

describe("the dashboard in Chromium", () => {
  let app: TestShipcast;
  let receiver: Awaited<ReturnType<typeof startHttpReceiver>>;
  let browser: Browser;
  let receiverAnswers: "html-500" | "ok" = "html-500";
  const admin = { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" };
  const contexts: BrowserContext[] = [];
  let pullRequests = 100;

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    receiver.on("/hook", (_req, res) => {
      if (receiverAnswers === "ok") res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      else res.writeHead(500, { "content-type": "text/html" }).end(HTML_ANSWER);
    });
    receiver.on("/test-target", (_req, res) => res.writeHead(200).end("test received"));
    app = await startTestShipcast(
      "sqlite",
      // A failed attempt waits an hour: the delivery stays "retrying" until resent.
      {
        DELIVERY_RETRY_SCHEDULE: "1h",
        SHIPCAST_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("hex"),
      },
      {
        routing: `targets:\n  team-hook: { kind: webhook, url: "${receiver.url}/hook" }\nroutes:\n  - notify: [team-hook]\n`,
      },
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await receiver?.close();
  });

  async function newPage(options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ timezoneId: "UTC", ...options });
    // A step that does not happen fails with its own message, well before the test's timeout.
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    return context.newPage();
  }

  /** Sends a signed Netlify deploy_created notification for `project`; returns the event id. */
  async function postNetlify(project: string): Promise<string> {
    const payload = JSON.parse(fixtureText("netlify/deploy_created.deploy-preview.json"));
    payload.id = randomUUID().replaceAll("-", "").slice(0, 24);
    payload.name = project;
    // A pull request of its own: its deliveries queue apart from the other tests' events.
    payload.review_id = ++pullRequests;
    payload.review_url = `https://github.com/jd-ftf/test/pull/${pullRequests}`;
    const body = JSON.stringify(payload);
    const res = await fetch(`${app.url}/api/netlify/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-netlify-event": "deploy_created",
        "x-webhook-signature": await netlifySignature(SECRETS.netlify, body),
      },
      body,
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  async function createToken(scope: "read", name: string) {
    const res = await fetch(`${app.url}/api/v1/tokens`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name, scope }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; token: string };
  }

  /** The delivery of an event to team-hook once it has been attempted. */
  async function attemptedDelivery(eventId: string): Promise<string> {
    return eventually(async () => {
      const res = await fetch(`${app.url}/api/v1/deliveries?event=${eventId}&target=team-hook`, {
        headers: admin,
      });
      const page = (await res.json()) as {
        items: Array<{ id: string; attempts: number; in_flight: boolean }>;
      };
      const delivery = page.items[0];
      return delivery && delivery.attempts > 0 && !delivery.in_flight ? delivery.id : undefined;
    });
  }

  it("shows a Netlify event live, its delivery's 500 answer, and turns it green on Resend once the receiver is fixed", async () => {
    receiverAnswers = "html-500";
    const page = await newPage();
    const dialogs = watchDialogs(page);
    await signIn(page, app.url, SECRETS.admin);
    await page.getByRole("link", { name: "Events", exact: true }).click();
    await expect.poll(() => page.url()).toBe(`${app.url}/events`);
    // A mark in the page itself: it is still there only if the page was never reloaded.
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    const project = `web-shop-${randomUUID().slice(0, 8)}`;
    const eventId = await postNetlify(project);
    const row = page.locator(`tr[data-id="${eventId}"]`);
    await row.getByRole("cell", { name: project }).waitFor({ timeout: 15_000 });
    expect(
      await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded),
    ).toBe(true);

    const deliveryId = await attemptedDelivery(eventId);
    await row.getByRole("link").first().click();
    await expect.poll(() => page.url()).toBe(`${app.url}/events/${eventId}`);
    await page.getByRole("link", { name: `Delivery ${deliveryId}` }).click();
    await expect.poll(() => page.url()).toBe(`${app.url}/deliveries/${deliveryId}`);
    await expect.poll(() => page.locator("h1 .badge").textContent()).toContain("retrying");
    await page.getByRole("heading", { name: /Attempt 1 .*HTTP 500/ }).waitFor();
    // The receiver's HTML answer is text on the page, never markup.
    await page.locator("pre.answer", { hasText: HTML_ANSWER }).first().waitFor();

    receiverAnswers = "ok";
    await page.getByRole("button", { name: "Resend" }).click();
    await page.getByText("Sent again.").waitFor();
    expect(await page.locator("h1 .badge").textContent()).toContain("delivered");
    expect(
      await page
        .locator("h1 .badge")
        .evaluate(
          (e) =>
            (
              globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }
            ).getComputedStyle(e).color,
        ),
    ).toBe("rgb(26, 127, 55)");
    await page.getByRole("heading", { name: /Attempt 2 .*HTTP 200/ }).waitFor();
    expect(receiver.to("/hook").length).toBeGreaterThanOrEqual(2);
    expect(dialogs).toEqual([]);
  });

  it("creates a webhook notification through the form, showing the field error for a bad URL, and sends a test", async () => {
    const page = await newPage();
    await signIn(page, app.url, SECRETS.admin);
    await page.goto(`${app.url}/notifications`);
    await page.getByRole("link", { name: "New webhook" }).click();
    await page.getByLabel("Description").fill("release tracker");
    await page.getByLabel("Receiver URL").fill("ftp://tracker.example.com/hooks");
    await page.getByRole("button", { name: "Create" }).click();

    const url = page.getByLabel("Receiver URL");
    await page.locator("#err-url", { hasText: "must be an http(s) URL" }).waitFor();
    expect(await url.getAttribute("aria-invalid")).toBe("true");
    expect(await url.getAttribute("aria-describedby")).toContain("err-url");
    // What was typed is kept.
    expect(await page.getByLabel("Description").inputValue()).toBe("release tracker");

    await url.fill(`${receiver.url}/test-target`);
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByText("Created.").waitFor();
    expect(page.url()).toMatch(/\/notifications\/ntf_[a-z0-9]+\?done=created$/);

    await page.getByLabel("Sample event").selectOption("deploy.failed");
    await page.getByRole("button", { name: "Send test" }).click();
    const result = page.locator(".test-result");
    await result.waitFor();
    expect(await result.getByRole("heading").textContent()).toMatch(/succeeded.*HTTP 200/);
    expect(await result.locator("pre.answer").textContent()).toBe("test received");
    expect(receiver.to("/test-target")).toHaveLength(1);
  });

  it("creates a token shown once with a copy button, and ends its session once it is revoked", async () => {
    const adminPage = await newPage();
    await signIn(adminPage, app.url, SECRETS.admin);
    await adminPage.getByRole("link", { name: "Tokens" }).click();
    await adminPage.getByLabel("Name").fill("laptop");
    await adminPage.getByLabel("Scope").selectOption("write");
    await adminPage.getByRole("button", { name: "Create token" }).click();
    const shown = adminPage.getByLabel("The new token");
    const token = await shown.inputValue();
    expect(token).toMatch(/^shc_[A-Za-z0-9_-]{43}$/);
    expect(await adminPage.getByRole("button", { name: "Copy" }).isVisible()).toBe(true);
    // Shown once: the list never shows it again.
    await adminPage.goto(`${app.url}/tokens`);
    expect(await adminPage.content()).not.toContain(token);

    const user = await newPage();
    await signIn(user, app.url, token);
    expect(await user.locator(".who").textContent()).toContain("read and write");

    await adminPage.getByRole("button", { name: "Revoke laptop" }).click();
    await adminPage.getByText("Revoked.").waitFor();

    await user.goto(`${app.url}/deliveries`);
    expect(new URL(user.url()).pathname).toBe("/signin");
    await user.goto(`${app.url}/`);
    expect(new URL(user.url()).pathname).toBe("/signin");
  });

  it("renders the API's OpenAPI document at /docs under the strict policy", async () => {
    const page = await newPage();
    const scriptsBlocked: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy.*script-src/.test(message.text()))
        scriptsBlocked.push(message.text());
    });
    await signIn(page, app.url, SECRETS.admin);
    await page.getByRole("link", { name: "API docs" }).click();
    await page.getByText("/api/v1/notifications/{id}/replay").first().waitFor();
    expect(await page.locator(".opblock").count()).toBeGreaterThanOrEqual(15);
    expect(scriptsBlocked).toEqual([]);
  });

  it("shows an outside project name and a receiver's HTML as text: nothing runs", async () => {
    receiverAnswers = "html-500";
    const eventId = await postNetlify(XSS_PROJECT);
    const deliveryId = await attemptedDelivery(eventId);
    const page = await newPage();
    const dialogs = watchDialogs(page);
    await signIn(page, app.url, SECRETS.admin);
    for (const path of ["/events", `/events/${eventId}`, `/deliveries/${deliveryId}`, "/"]) {
      await page.goto(`${app.url}${path}`);
      await page.waitForLoadState("load");
      // No markup from outside became an element.
      expect(await page.locator("main img, main script, main h1:text('down')").count()).toBe(0);
    }
    await page.goto(`${app.url}/events`);
    await page.getByRole("cell", { name: XSS_PROJECT, exact: true }).first().waitFor();
    await page.goto(`${app.url}/events/${eventId}`);
    await page.getByText(`"${XSS_PROJECT}"`).first().waitFor();
    await page.goto(`${app.url}/deliveries/${deliveryId}`);
    await page.locator("pre.answer", { hasText: HTML_ANSWER }).first().waitFor();
    expect(dialogs).toEqual([]);
  });

  it("shows a read-only token no write control, and refuses its writes on the server", async () => {
    const { token } = await createToken("read", "wallboard");
    const eventId = await postNetlify(`read-only-${randomUUID().slice(0, 8)}`);
    const deliveryId = await attemptedDelivery(eventId);
    const page = await newPage();
    await signIn(page, app.url, token);
    expect(await page.locator(".who").textContent()).toContain("read-only");

    await page.goto(`${app.url}/deliveries/${deliveryId}`);
    await page.getByRole("heading", { name: /Attempt 1/ }).waitFor();
    expect(await page.getByRole("button", { name: "Resend" }).count()).toBe(0);
    await page.goto(`${app.url}/notifications`);
    expect(await page.getByRole("link", { name: /^New / }).count()).toBe(0);
    await page.goto(`${app.url}/notifications/team-hook`);
    expect(await page.getByRole("button", { name: /Send test|Replay|Re-enable/ }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Tokens" }).count()).toBe(0);
    // Every button left is the sign-out.
    expect(await page.locator("main button, main form").count()).toBe(0);

    // The server refuses the write itself, with a valid session and form token.
    const csrf = await page.locator("input[name=_csrf]").first().inputValue();
    const refused = await page.request.post(`${app.url}/deliveries/${deliveryId}/resend`, {
      form: { _csrf: csrf },
      headers: { origin: app.url },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(403);
    const tokens = await page.request.get(`${app.url}/tokens`, { maxRedirects: 0 });
    expect(tokens.status()).toBe(403);
  });

  it("lists the sources created through the API on the overview, each with its URL to paste", async () => {
    const create = async (body: Record<string, unknown>) => {
      const res = await fetch(`${app.url}/api/v1/sources`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; url: string };
    };
    const marketing = await create({
      kind: "netlify",
      name: "marketing <site>",
      secret: "0123456789abcdef0123",
    });
    const paused = await create({
      kind: "gitlab",
      name: "paused project",
      secret: "0123456789abcdef0123",
      enabled: false,
    });
    const page = await newPage();
    await signIn(page, app.url, SECRETS.admin);
    await page.getByRole("heading", { name: "Sources created through the API" }).waitFor();

    const card = page.locator("article", { has: page.locator(`#url-${marketing.id}`) });
    expect(await card.getByRole("heading").textContent()).toBe("marketing <site> (netlify) on");
    expect(await card.getByLabel("Payload URL").inputValue()).toBe(
      `${app.url}/api/sources/${marketing.id}/webhooks`,
    );
    expect(marketing.url).toBe(`${app.url}/api/sources/${marketing.id}/webhooks`);
    await card
      .getByText("JWS secret token: the one given when it was created or rotated")
      .waitFor();
    const off = page.locator("article", { has: page.locator(`#url-${paused.id}`) });
    await off.getByText("Disabled: its URL answers 404").waitFor();
    // The environment's sources keep their place before them.
    expect(await page.getByLabel("Payload URL").nth(2).inputValue()).toBe(
      `${app.url}/api/netlify/webhooks`,
    );
  });

  it("works without JavaScript: reading every page, forms that post, copy buttons hidden, times in UTC", async () => {
    const project = `no-js-${randomUUID().slice(0, 8)}`;
    const eventId = await postNetlify(project);
    const deliveryId = await attemptedDelivery(eventId);
    const page = await newPage({ javaScriptEnabled: false });
    await signIn(page, app.url, SECRETS.admin);

    // The overview: the URL to paste is there, as a field to select; no Copy button shows.
    const netlifyUrl = page.getByLabel("Payload URL").nth(2);
    expect(await netlifyUrl.inputValue()).toBe(`${app.url}/api/netlify/webhooks`);
    expect(await page.getByRole("button", { name: "Copy" }).count()).toBe(0);

    await page.goto(`${app.url}/events?source=netlify&project=${project}`);
    const row = page.locator(`tr[data-id="${eventId}"]`);
    await row.waitFor();
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await row.locator("time").textContent()).toMatch(/ UTC$/);
    await row.getByRole("link").first().click();
    await page.getByRole("heading", { name: "Payload" }).waitFor();
    // The payload's nested objects open and close without a script.
    const site = page
      .locator("details", { has: page.locator("summary", { hasText: "site_capabilities" }) })
      .last();
    expect(await site.getAttribute("open")).not.toBeNull();
    await site.locator("summary").first().click();
    expect(await site.getAttribute("open")).toBeNull();

    await page.goto(`${app.url}/deliveries/${deliveryId}`);
    await page.getByRole("heading", { name: /Attempt 1/ }).waitFor();
    await page.getByText("Request headers (secrets redacted)").first().waitFor();

    await page.goto(`${app.url}/notifications/new?kind=slack`);
    await page.getByLabel("Slack incoming-webhook URL").fill("not a url");
    await page.getByRole("button", { name: "Create" }).click();
    await page.locator("#err-url", { hasText: "must be an http(s) URL" }).waitFor();

    await page.goto(`${app.url}/deliveries/${deliveryId}`);
    await page.getByRole("button", { name: "Resend" }).click();
    await page.getByText("Sent again.").waitFor();
  });
});
