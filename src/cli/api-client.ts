import { CliError, EXIT } from "./exit-codes.js";

/** A problem by field, as the API's 422 answers list them. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The server answered with an error status: its message, and its problems when it gave some. */
export class ApiError extends CliError {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly error: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(
      `${status} ${error}`,
      EXIT.failed,
      problems.map((p) => `  ${p.field}: ${p.message}`),
    );
  }
}

export interface ApiClientOptions {
  /** The Shipcast's base URL, e.g. `http://localhost:3000`. */
  url: string;
  /** Bearer token of the management API. */
  token: string;
  /** Per-request timeout. Default 60 s: a test send waits for the receiver. */
  timeoutMs?: number;
}

/** Query parameters; undefined ones are left out. */
export type Query = Record<string, string | number | undefined>;

/**
 * The management API (`/api/v1`) over HTTP, the way any script would call it. An error status
 * becomes an `ApiError`; an unreachable server a `CliError` saying where it looked.
 */
export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>("GET", path, { query });
  }

  post<T>(path: string, body?: unknown, query: Query = {}): Promise<T> {
    return this.request<T>("POST", path, { body, query });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { body });
  }

  delete(path: string): Promise<void> {
    return this.request<void>("DELETE", path, {});
  }

  async request<T>(
    method: string,
    path: string,
    { body, query = {} }: { body?: unknown; query?: Query },
  ): Promise<T> {
    const url = new URL(path, this.options.url);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      accept: "application/json",
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw new CliError(`cannot reach Shipcast at ${this.options.url}: ${reasonOf(error)}`);
    }
    const text = await res.text();
    if (!res.ok) throw errorOf(res.status, res.statusText, text);
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${res.status} answer is not JSON: ${text.slice(0, 200)}`);
    }
  }
}

function errorOf(status: number, statusText: string, text: string): ApiError {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; problems?: unknown };
    if (typeof parsed.error === "string") {
      const problems = Array.isArray(parsed.problems) ? (parsed.problems as FieldProblem[]) : [];
      return new ApiError(status, parsed.error, problems);
    }
  } catch {
    // Not JSON: a proxy or another server answered; show what it said.
  }
  return new ApiError(status, text.trim().slice(0, 200) || statusText);
}

/** Why a request never got an answer: fetch hides it in `cause`. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return "no answer in time";
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) return cause.message || ((cause as { code?: string }).code ?? "");
    return error.message;
  }
  return String(error);
}
