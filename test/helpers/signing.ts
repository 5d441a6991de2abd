import { createHash, createHmac } from "node:crypto";
import { SignJWT } from "jose";

/**
 * Signers written independently of Shipcast's verifiers, the way each provider signs, so the
 * tests check the verifiers against the schemes rather than against themselves.
 */
export function githubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export async function netlifySignature(
  secret: string,
  body: string | Buffer,
  overrides: { iss?: string; sha256?: string; alg?: string } = {},
): Promise<string> {
  const sha256 = overrides.sha256 ?? createHash("sha256").update(body).digest("hex");
  return new SignJWT({ sha256 })
    .setProtectedHeader({ alg: overrides.alg ?? "HS256", typ: "JWT" })
    .setIssuer(overrides.iss ?? "netlify")
    .sign(new TextEncoder().encode(secret));
}
