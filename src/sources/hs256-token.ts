import { createHmac, timingSafeEqual } from "node:crypto";

/** Longest token looked at: Netlify's are a few hundred characters. */
const MAX_TOKEN_LENGTH = 8 * 1024;
/** Base64url without padding, as JWS compact serialization writes it. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The claims of a compact JWS (JWT) signed with HMAC-SHA256 under `secret`, or undefined when it
 * does not verify: not three base64url parts, a header whose `alg` is not `HS256` or that names
 * `crit` extensions, a wrong signature, claims that are not a JSON object, an `iss` other than
 * `issuer`, or an `exp`/`nbf` that rules the token out now (`iat`, when present, must be a number).
 *
 * This is what `jose.jwtVerify(token, secret, { algorithms: ["HS256"], issuer })` checks, done
 * with `node:crypto` in one synchronous call: jose goes through WebCrypto, which imports the key
 * and runs the HMAC as an asynchronous job for every token, several times the cost of the hash
 * itself on the ingest path. The signature is compared as the exact base64url text of the HMAC
 * (no second encoding of the same bytes passes), in constant time.
 */
export function verifyHs256Token(
  token: string,
  secret: string,
  issuer: string,
  nowSeconds = Date.now() / 1000,
): Record<string, unknown> | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string];
  if (![headerPart, claimsPart, signaturePart].every((part) => BASE64URL.test(part))) {
    return undefined;
  }
  const header = jsonObject(headerPart);
  if (header === undefined || header.alg !== "HS256" || "crit" in header) return undefined;
  const expected = createHmac("sha256", secret)
    .update(`${headerPart}.${claimsPart}`)
    .digest("base64url");
  const given = Buffer.from(signaturePart);
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
    return undefined;
  }
  const claims = jsonObject(claimsPart);
  if (claims === undefined || claims.iss !== issuer) return undefined;
  if ("exp" in claims && !(typeof claims.exp === "number" && claims.exp > nowSeconds)) {
    return undefined;
  }
  if ("nbf" in claims && !(typeof claims.nbf === "number" && claims.nbf <= nowSeconds)) {
    return undefined;
  }
  if ("iat" in claims && typeof claims.iat !== "number") return undefined;
  return claims;
}

/** A base64url part decoded as a JSON object, or undefined. */
function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
