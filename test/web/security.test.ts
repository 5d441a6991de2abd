/**
 * What the dashboard promises on every request, checked over plain HTTP against a real
 * Shipcast: security headers, the session cookie's flags, and the refusals of forged posts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRETS, startTestShipcast, type TestShipcast } from "../helpers/shipcast.js";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

describe("the dashboard's HTTP rules", () => {
  let app: TestShipcast;
  let behindProxy: TestShipcast;

  beforeAll(async () => {
    [app, behindProxy] = await Promise.all([
      startTestShipcast("sqlite"),
      startTestShipcast("sqlite", { SHIPCAST_TRUST_PROXY: "true" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([app?.close(), behindProxy?.close()]);
  });

  /** Signs in with `token`; the session cookie and the page's synchronizer token. */
  async function signIn(
    base: string,
    token: string = SECRETS.admin,
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(`${base}/signin`, {
      method: "POST",
      headers: { origin: base, "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams({ token, next: "/" }),
      redirect: "manual",
    });
    const setCookie = res.headers.get("set-cookie") ?? "";
    const cookie = setCookie.split(";")[0] ?? "";
    const page = await fetch(`${base}/`, { headers: { cookie, ...headers } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
    return { res, setCookie, cookie, csrf };
  }

  it("sends the strict policy, nosniff and same-origin referrers on pages, errors and files", async () => {
    const { cookie } = await signIn(app.url);
    for (const path of ["/signin", "/", "/events", "/no-such-page", "/static/app.js", "/docs"]) {
      const res = await fetch(`${app.url}${path}`, { headers: { cookie } });
      expect(res.headers.get("content-security-policy"), path).toBe(CSP);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), path).toBe("same-origin");
    }
  });

  it("pages have no inline script or style: every script and style sheet is a file of this site", async () => {
    const { cookie } = await signIn(app.url);
    for (const path of ["/", "/events", "/deliveries", "/notifications", "/tokens", "/docs"]) {
      const html = await (await fetch(`${app.url}${path}`, { headers: { cookie } })).text();
      expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=")[^>]*>/);
      expect(html, path).not.toMatch(/<style|\sstyle="|\son[a-z]+="/i);
    }
  });

  it("sets an HttpOnly, SameSite=Strict session cookie, without Secure over plain HTTP", async () => {
    const { res, setCookie } = await signIn(app.url);
    expect(res.status).toBe(303);
    expect(setCookie).toMatch(/^shipcast_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Max-Age=\d+/);
    expect(setCookie).not.toMatch(/Secure/);
  });

  it("marks the cookie Secure (__Host-) behind a trusted HTTPS proxy, and only then", async () => {
    const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "deploys.example.com" };
    const secure = await fetch(`${behindProxy.url}/signin`, {
      method: "POST",
      headers: { origin: "https://deploys.example.com", ...forwarded },
      body: new URLSearchParams({ token: SECRETS.admin }),
      redirect: "manual",
    });
    expect(secure.status).toBe(303);
    expect(secure.headers.get("set-cookie")).toMatch(/^__Host-shipcast_session=.*; Secure/);

    // Without SHIPCAST_TRUST_PROXY the header is anyone's word: ignored.
    const untrusted = await fetch(`${app.url}/signin`, {
      method: "POST",
      headers: { origin: app.url, "x-forwarded-proto": "https" },
      body: new URLSearchParams({ token: SECRETS.admin }),
      redirect: "manual",
    });
    expect(untrusted.status).toBe(303);
    expect(untrusted.headers.get("set-cookie")).not.toMatch(/Secure/);
  });

  it("refuses a post from another site, or with no origin at all, before looking at it", async () => {
    const { cookie, csrf } = await signIn(app.url);
    const post = (headers: Record<string, string>) =>
      fetch(`${app.url}/tokens`, {
        method: "POST",
        headers: { cookie, ...headers },
        body: new URLSearchParams({ _csrf: csrf, name: "forged", scope: "write" }),
        redirect: "manual",
      });
    expect((await post({ origin: "https://evil.example" })).status).toBe(403);
    expect((await post({ origin: "null" })).status).toBe(403);
    expect((await post({})).status).toBe(403);
    expect((await post({ referer: "https://evil.example/page" })).status).toBe(403);
    // A sign-in form on another site cannot sign a browser in either.
    const signin = await fetch(`${app.url}/signin`, {
      method: "POST",
      headers: { origin: "https://evil.example" },
      body: new URLSearchParams({ token: SECRETS.admin }),
      redirect: "manual",
    });
    expect(signin.status).toBe(403);
    expect(signin.headers.get("set-cookie")).toBeNull();
    // The same post from this site goes through.
    expect((await post({ origin: app.url })).status).toBe(200);
  });

  it("refuses a post without the session's synchronizer token", async () => {
    const { cookie, csrf } = await signIn(app.url);
    const other = await signIn(app.url);
    expect(other.csrf).not.toBe(csrf);
    for (const token of ["", other.csrf, `${csrf}x`]) {
      const res = await fetch(`${app.url}/tokens`, {
        method: "POST",
        headers: { cookie, origin: app.url },
        body: new URLSearchParams({ _csrf: token, name: "no-csrf", scope: "write" }),
        redirect: "manual",
      });
      expect(res.status).toBe(403);
    }
    const tokens = await fetch(`${app.url}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${SECRETS.admin}` },
    });
    expect(
      ((await tokens.json()) as { items: Array<{ name: string }> }).items.map((t) => t.name),
    ).not.toContain("no-csrf");
  });

  it("signs out: the cookie's session is over on the server, not only in the browser", async () => {
    const { cookie, csrf } = await signIn(app.url);
    const out = await fetch(`${app.url}/signout`, {
      method: "POST",
      headers: { cookie, origin: app.url },
      body: new URLSearchParams({ _csrf: csrf }),
      redirect: "manual",
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^shipcast_session=;/);
    const after = await fetch(`${app.url}/events`, { headers: { cookie }, redirect: "manual" });
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/signin?next=%2Fevents");
  });

  it("refuses a wrong token at sign-in, and sends pages to sign in without a session", async () => {
    const wrong = await signIn(app.url, "shc_not-a-token");
    expect(wrong.res.status).toBe(401);
    expect(wrong.setCookie).toBe("");
    const page = await fetch(`${app.url}/deliveries?status=failed`, { redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/signin?next=%2Fdeliveries%3Fstatus%3Dfailed");
  });

  it("sends the browser back only to a path of this site after sign-in", async () => {
    for (const [next, expected] of [
      ["/events?source=netlify", "/events?source=netlify"],
      ["https://evil.example/", "/"],
      ["//evil.example/", "/"],
      ["/\\evil.example/", "/"],
    ]) {
      const res = await fetch(`${app.url}/signin`, {
        method: "POST",
        headers: { origin: app.url },
        body: new URLSearchParams({ token: SECRETS.admin, next: next as string }),
        redirect: "manual",
      });
      expect(res.headers.get("location"), next).toBe(expected);
    }
  });

  it("still answers the JSON status document at / to JSON clients", async () => {
    const res = await fetch(`${app.url}/`, { headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      name: string;
      sources: Record<string, { active: boolean }>;
    };
    expect(body.name).toBe("shipcast");
    expect(body.sources.netlify?.active).toBe(true);
    const browser = await fetch(`${app.url}/`, {
      headers: { accept: "text/html,application/xhtml+xml,application/json;q=0.9" },
      redirect: "manual",
    });
    expect(browser.status).toBe(303);
  });
});
