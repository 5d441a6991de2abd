import { KEY_HINT } from "../store/secret-box.js";
import type { Problem } from "./problems.js";

/** What a service refuses, for the API (status and message) and the dashboard (the message). */

/** The thing asked about does not exist (404), or is not in a state that allows this (409). */
export class RefusedError extends Error {
  override name = "RefusedError";
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** The caller used up its test sends and resends for now (429). */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  constructor(readonly retryAfterSeconds: number) {
    super(
      `too many test and resend requests: at most 5 a minute per token; retry in ${retryAfterSeconds} s`,
    );
  }
}

/** A request a service cannot take as it is: every problem, by field (422). */
export class InputError extends Error {
  override name = "InputError";
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join("; "));
  }
}

/** Raised when secrets are to be stored but no encryption key is configured. */
export class EncryptionKeyMissingError extends Error {
  override name = "EncryptionKeyMissingError";
  constructor(readonly fields: string[]) {
    super(`secrets cannot be stored without an encryption key: ${KEY_HINT}`);
  }
}
