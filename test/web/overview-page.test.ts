/**
 * The overview's URLs to paste, over plain HTTP against a real Shipcast with `PUBLIC_URL` set:
 * every source's (the environment's and those created through the API) is under it, as the API
 * shows them, whatever host the dashboard was reached at.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";

describe("the overview behind PUBLIC_URL", () => {
  let app: TestShipcast;
  const publicUrl = "https://shipcast.example.com";

  beforeAll(async () => {
    app = await startTestShipcast("sqlite", {
      PUBLIC_URL: `${publicUrl}/`,
      SHIPCAST_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString("hex"),
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("shows every source's URL under PUBLIC_URL, the API's too", async () => {
    const created = await fetch(`${app.url}/api/v1/sources`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "gitlab", name: "infra", secret: "0123456789abcdef0123" }),
    });
    expect(created.status).toBe(201);
    const source = (await created.json()) as { id: string; url: string };
    expect(source.url).toBe(`${publicUrl}/api/sources/${source.id}/webhooks`);

    const signIn = await fetch(`${app.url}/signin`, {
      method: "POST",
      headers: { origin: app.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: SECRETS.admin, next: "/" }),
      redirect: "manual",
    });
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const html = await (await fetch(`${app.url}/`, { headers: { cookie } })).text();
    const urls = [
      ...html.matchAll(/<input id="url-([^"]+)" type="text" readonly="" value="([^"]+)"/g),
    ].map((match) => [match[1], match[2]]);
    expect(urls).toEqual([
      ["github", `${publicUrl}/api/github/webhooks`],
      ["gitlab", `${publicUrl}/api/gitlab/webhooks`],
      ["netlify", `${publicUrl}/api/netlify/webhooks`],
      [source.id, source.url],
    ]);
  });
});
