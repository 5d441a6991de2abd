import { describe, expect, it } from "vitest";
import type { AttemptResult } from "../../../src/notifiers/kit/notifier.js";
import {
  REDACTED,
  redactCredentials,
  redactResult,
  redactSecrets,
  secretScrubber,
} from "../../../src/notifiers/kit/redact.js";

describe("secretScrubber", () => {
  it("replaces a long secret wherever it occurs, plain and percent-encoded", () => {
    const secret = "p@ss:w0rd/with-secret";
    const text = `a${secret}b ${encodeURIComponent(secret)}`;
    expect(redactSecrets(text, [secret])).toBe(`a${REDACTED}b ${REDACTED}`);
  });

  it("replaces a short secret only where it stands alone", () => {
    const scrub = secretScrubber(["web", "1"]);
    expect(scrub('{"x-team":"web","id":123,"n":1} webhook')).toBe(
      `{"x-team":"${REDACTED}","id":123,"n":${REDACTED}} webhook`,
    );
  });

  it("goes longest first, so a secret inside another leaves nothing of it in clear", () => {
    expect(redactSecrets("token-abcdef-123456", ["abcdef-1", "token-abcdef-123456"])).toBe(
      REDACTED,
    );
  });

  it("shares credential redaction of a repeated text between scrubbers, never for a text holding their secret", () => {
    const cache = new Map<string, string>();
    const body = `{"url":"https://user:pw@example.test/x","pad":"${"p".repeat(300)}"}`;
    const first = secretScrubber(["target-one-secret"], cache);
    const second = secretScrubber(["target-two-secret"], cache);
    expect(first(body)).toBe(redactCredentials(body));
    expect(cache.size).toBe(1);
    expect(second(body)).toBe(redactCredentials(body));
    const withSecret = `${body} target-two-secret`;
    expect(second(withSecret)).not.toContain("target-two-secret");
    expect(first(withSecret)).toContain("target-two-secret");
    expect(cache.has(withSecret)).toBe(true);
    // The cached copy of a text is never handed to a scrubber whose secret it holds.
    expect(second(withSecret)).toBe(
      redactCredentials(withSecret.replace("target-two-secret", REDACTED)),
    );
  });

  it("ignores empty and missing secrets", () => {
    expect(redactSecrets("nothing to hide", ["", undefined])).toBe("nothing to hide");
  });
});

describe("redactCredentials", () => {
  it("hides GitHub tokens, JWTs and scheme values, keeping the scheme", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl";
    const text = redactCredentials(
      `ghp_abcdefghijklmnopqrstuvwxyz0123 github_pat_11ABCDEFG0123456789_abc ${jwt} v1.${"a".repeat(40)} Bearer abcdefghijklmnopqrstuvwxyz`,
    );
    expect(text).toBe(`${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} Bearer ${REDACTED}`);
  });

  it("hides credential header values in the forms errors quote them", () => {
    expect(redactCredentials("PRIVATE-TOKEN: glpat-abc")).toBe(`PRIVATE-TOKEN: ${REDACTED}`);
    expect(redactCredentials('{"private-token":"glpat-abc"}')).toBe(
      `{"private-token":"${REDACTED}"}`,
    );
    expect(redactCredentials("Authorization: Bearer glpat-SecretToken0123456789")).toBe(
      `Authorization: ${REDACTED}`,
    );
    expect(redactCredentials("Authorization: Basic dXNlcjpwYXNz")).toBe(
      `Authorization: ${REDACTED}`,
    );
  });

  it("hides the user info of a URL and nothing after it", () => {
    expect(redactCredentials("smtps://me:hunter2@mail.test:465 failed")).toBe(
      `smtps://${REDACTED}@mail.test:465 failed`,
    );
    expect(redactCredentials('{"url":"https://site.test","actor":"ada@example.com"}')).toBe(
      '{"url":"https://site.test","actor":"ada@example.com"}',
    );
  });

  it("leaves ordinary words alone", () => {
    expect(redactCredentials("the token expired; Bearer of bad news")).toBe(
      "the token expired; Bearer of bad news",
    );
  });
});

describe("redactResult", () => {
  it("scrubs every text a receiver or a library could fill", () => {
    const secret = "s3cr3t-value-xyz";
    const result: AttemptResult = {
      outcome: "failed",
      error: `refused ${secret}`,
      response: `echo ${secret}`,
      responseHeaders: { "x-echo": secret },
      request: {
        method: "POST",
        url: `https://x.test/?k=${secret}`,
        headers: { "x-key": secret },
        body: `{"k":"${secret}"}`,
      },
    };
    const redacted = redactResult(result, secretScrubber([secret]));
    expect(JSON.stringify(redacted)).not.toContain(secret);
    expect(redacted).toMatchObject({ outcome: "failed", error: `refused ${REDACTED}` });
  });
});
