import { describe, expect, it } from "vitest";
import { inferEnvironmentType } from "../../src/sources/environment-type.js";

describe("inferEnvironmentType", () => {
  it.each([
    ["production", "PRODUCTION"],
    ["Production", "PRODUCTION"],
    ["prod", "PRODUCTION"],
    ["PROD", "PRODUCTION"],
    ["live", "PRODUCTION"],
    ["production/eu-west", "PRODUCTION"],
    ["prod-us", "PRODUCTION"],
    ["eu-production", "PRODUCTION"],
  ])("classifies %s as production", (name, type) => {
    expect(inferEnvironmentType(name)).toBe(type);
  });

  it.each([
    ["staging", "STAGING"],
    ["Stage", "STAGING"],
    ["qa", "STAGING"],
    ["UAT", "STAGING"],
    ["staging/eu", "STAGING"],
    ["pre-production", "STAGING"],
    ["preprod", "STAGING"],
    ["pre-prod", "STAGING"],
  ])("classifies %s as staging", (name, type) => {
    expect(inferEnvironmentType(name)).toBe(type);
  });

  it.each([
    ["preview", "PREVIEW"],
    ["deploy-preview", "PREVIEW"],
    ["pr-42", "PREVIEW"],
    ["PR-7", "PREVIEW"],
    ["review/my-branch", "PREVIEW"],
    ["review-app", "PREVIEW"],
    ["reviewapps", "PREVIEW"],
    ["review/fix-prod-crash", "PREVIEW"],
  ])("classifies %s as preview", (name, type) => {
    expect(inferEnvironmentType(name)).toBe(type);
  });

  it.each([
    ["development", "DEVELOPMENT"],
    ["dev", "DEVELOPMENT"],
    ["branch-deploy", "DEVELOPMENT"],
    ["github-pages", "DEVELOPMENT"],
    ["non-prod", "DEVELOPMENT"],
    ["product-catalog", "DEVELOPMENT"],
    ["", "DEVELOPMENT"],
  ])("falls back to development for %j", (name, type) => {
    expect(inferEnvironmentType(name)).toBe(type);
  });

  it("ignores surrounding whitespace", () => {
    expect(inferEnvironmentType("  production  ")).toBe("PRODUCTION");
  });
});
