import { describe, expect, it } from "vitest";
import { gitlabSource } from "../../src/sources/gitlab-source.js";
import { MalformedBodyError } from "../../src/sources/source.js";

const SECRET = "gl-unit-token";

describe("GitLab source verification", () => {
  it("is decided by the X-Gitlab-Token header alone, before any body", async () => {
    expect(await gitlabSource.verifyHeaders(SECRET, { "x-gitlab-token": SECRET })).toBe(true);
    for (const bad of [undefined, "", `${SECRET}x`, SECRET.slice(0, -1), SECRET.toUpperCase()]) {
      const headers = bad === undefined ? {} : { "x-gitlab-token": bad };
      expect(await gitlabSource.verifyHeaders(SECRET, headers), String(bad)).toBe(false);
    }
    // The token is the whole proof: there is nothing to check on the body.
    expect(gitlabSource.verifyBody).toBeUndefined();
  });

  it("refuses a body that is not UTF-8 as malformed", () => {
    const rawBody = Buffer.concat([Buffer.from('{"object_kind":"'), Buffer.from([0xff, 0xfe])]);
    expect(() =>
      gitlabSource.accept({ headers: {}, rawBody, mediaType: "application/json" }),
    ).toThrow(MalformedBodyError);
  });
});
