import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { createTransport, type Transporter } from "nodemailer";
import { SMTPServer, type SMTPServerError, type SMTPServerOptions } from "smtp-server";
import { afterAll, describe, expect, it } from "vitest";
import { type DeployEvent, isIgnored } from "../../../src/events/deploy-event.js";
import { createSmtpTransport, emailNotifier } from "../../../src/notifiers/email/email.js";
import type { AttemptResult, DeliveryContext } from "../../../src/notifiers/kit/notifier.js";
import { normalizeNetlify } from "../../../src/sources/netlify-normalize.js";

const FROM = "Shipcast <shipcast@example.com>";

function failedDeploy(): DeployEvent {
  const payload: unknown = JSON.parse(
    readFileSync(
      new URL("../../fixtures/netlify/deploy_failed.deploy-preview.json", import.meta.url),
      "utf8",
    ),
  );
  const result = normalizeNetlify({ headers: { "x-netlify-event": "deploy_failed" }, payload });
  if (isIgnored(result)) throw new Error(`fixture was ignored: ${result.reason}`);
  return result;
}

const EVENT = failedDeploy();

function context(deliveryId: string, signal = AbortSignal.timeout(5_000)): DeliveryContext {
  return { deliveryId, eventId: "evt_01TEST", event: EVENT, attempt: 1, signal };
}

// ---- a real SMTP server, and just enough MIME parsing to read what it received ----

interface Part {
  headers: Map<string, string>;
  body: string;
}

interface Received {
  /** The envelope recipients (RCPT TO), copied before the server resets the session. */
  recipients: string[];
  raw: string;
  headers: Map<string, string>;
  text: string;
  html: string;
}

interface TestServer {
  port: number;
  messages: Received[];
  /** How many client connections have ended, however they ended. */
  closed: () => number;
  close: () => Promise<void>;
}

/** Header block → lower-case names to unfolded values (the last one wins; tests need no more). */
function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r\n(?=[ \t])/g, "").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function splitPart(raw: string): Part {
  const end = raw.indexOf("\r\n\r\n");
  return { headers: parseHeaders(raw.slice(0, end)), body: raw.slice(end + 4) };
}

function decode(part: Part): string {
  const encoding = part.headers.get("content-transfer-encoding")?.toLowerCase();
  if (encoding === "base64") return Buffer.from(part.body, "base64").toString("utf8");
  if (encoding === "quoted-printable") {
    const bytes = part.body
      .replace(/=\r\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) =>
        String.fromCharCode(Number.parseInt(hex, 16)),
      );
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return part.body;
}

function parseMessage(recipients: string[], raw: string): Received {
  const message = splitPart(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(message.headers.get("content-type") ?? "")?.[1];
  if (boundary === undefined) throw new Error("expected a multipart message");
  const parts = message.body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((chunk) => splitPart(chunk.replace(/^\r\n/, "").replace(/\r\n$/, "")));
  const partOf = (type: string) => {
    const part = parts.find((p) => p.headers.get("content-type")?.startsWith(type));
    if (part === undefined) throw new Error(`no ${type} part`);
    return decode(part);
  };
  return {
    recipients,
    raw,
    headers: message.headers,
    text: partOf("text/plain"),
    html: partOf("text/html"),
  };
}

const servers: { close: () => Promise<void> }[] = [];

async function startSmtp(options: SMTPServerOptions = {}): Promise<TestServer> {
  const messages: Received[] = [];
  let closed = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    closeTimeout: 100,
    onData(stream, session, callback) {
      const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        messages.push(parseMessage(recipients, Buffer.concat(chunks).toString("utf8")));
        callback();
      });
    },
    onClose() {
      closed++;
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const handle = {
    port: address.port,
    messages,
    closed: () => closed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  servers.push(handle);
  return handle;
}

const transports: Transporter[] = [];

function notifierFor(port: number, auth = "") {
  const transport = createSmtpTransport(`smtp://${auth}127.0.0.1:${port}`, { ignoreTLS: true });
  transports.push(transport);
  return emailNotifier({ transport, from: FROM });
}

function smtpError(code: number, message: string): SMTPServerError {
  return Object.assign(new Error(message), { responseCode: code });
}

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterAll(async () => {
  for (const transport of transports) transport.close();
  await Promise.all(servers.map((server) => server.close()));
});

// ---- the notifier ----

describe("email notifier against a real SMTP server", () => {
  it("sends one message with both parts, the delivery header and a stable Message-ID", async () => {
    const server = await startSmtp();
    const notifier = notifierFor(server.port);
    const result = await notifier.deliver(
      { to: ["dev@example.com", "ops@example.com"] },
      context("dlv_01SUCCESS"),
    );

    expect(result).toMatchObject({ outcome: "succeeded", httpStatus: 250 });
    expect(result.response).toMatch(/^250 /);
    expect(server.messages).toHaveLength(1);
    const [message] = server.messages;
    if (message === undefined) throw new Error("no message");
    expect(message.recipients).toEqual(["dev@example.com", "ops@example.com"]);
    expect(message.headers.get("subject")).toBe(
      "[dazzling-almeida-67ef75] Deploy failed: deploy-preview (dev@2bf6019)",
    );
    expect(message.headers.get("from")).toBe("Shipcast <shipcast@example.com>");
    expect(message.headers.get("to")).toBe("dev@example.com, ops@example.com");
    expect(message.headers.get("x-shipcast-delivery")).toBe("dlv_01SUCCESS");
    expect(message.headers.get("message-id")).toBe("<dlv_01SUCCESS@shipcast>");
    expect(message.headers.get("content-type")).toMatch(/^multipart\/alternative/);
    expect(message.text).toContain("Error: failed during stage 'building site'");
    expect(message.text).toContain("https://github.com/jd-ftf/test/pull/6");
    expect(message.html).toContain('href="https://github.com/jd-ftf/test/pull/6"');
    expect(message.html).toContain("failed during stage &#39;building site&#39;");
  });

  it("gives every re-send of one delivery the same Message-ID, and other deliveries another", async () => {
    const server = await startSmtp();
    const notifier = notifierFor(server.port);
    const settings = { to: ["dev@example.com"] };
    await notifier.deliver(settings, context("dlv_01RESEND"));
    await notifier.deliver(settings, { ...context("dlv_01RESEND"), attempt: 2 });
    await notifier.deliver(settings, context("dlv_01OTHER"));

    const ids = server.messages.map((message) => message.headers.get("message-id"));
    expect(ids).toEqual([
      "<dlv_01RESEND@shipcast>",
      "<dlv_01RESEND@shipcast>",
      "<dlv_01OTHER@shipcast>",
    ]);
  });

  it("retries when the server rejects the recipient temporarily (450)", async () => {
    const server = await startSmtp({
      onRcptTo(_address, _session, callback) {
        callback(smtpError(450, "Mailbox busy, try later"));
      },
    });
    const result = await notifierFor(server.port).deliver(
      { to: ["dev@example.com"] },
      context("dlv_01DEFER"),
    );
    expect(result).toMatchObject({ outcome: "retry", httpStatus: 450 });
    expect(result.outcome === "retry" && result.error).toContain("450 Mailbox busy");
    expect(server.messages).toHaveLength(0);
  });

  it("fails for good when the server rejects the recipient permanently (550)", async () => {
    const server = await startSmtp({
      onRcptTo(_address, _session, callback) {
        callback(smtpError(550, "No such user"));
      },
    });
    const result = await notifierFor(server.port).deliver(
      { to: ["nobody@example.com"] },
      context("dlv_01REJECT"),
    );
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 550 });
    expect(result.outcome === "failed" && result.error).toContain("550 No such user");
  });

  it("retries when one recipient is refused for good and another only deferred", async () => {
    const server = await startSmtp({
      onRcptTo(address, _session, callback) {
        callback(
          address.address.startsWith("gone")
            ? smtpError(550, "No such user")
            : smtpError(451, "Greylisted"),
        );
      },
    });
    const result = await notifierFor(server.port).deliver(
      { to: ["gone@example.com", "grey@example.com"] },
      context("dlv_01MIXED"),
    );
    expect(result.outcome).toBe("retry");
  });

  it("reports success, naming the refused ones, when some recipients are accepted", async () => {
    const server = await startSmtp({
      onRcptTo(address, _session, callback) {
        callback(address.address.startsWith("gone") ? smtpError(550, "No such user") : null);
      },
    });
    const result = await notifierFor(server.port).deliver(
      { to: ["gone@example.com", "dev@example.com"] },
      context("dlv_01PARTIAL"),
    );
    expect(result).toMatchObject({ outcome: "succeeded", httpStatus: 250 });
    expect(result.response).toContain("rejected: gone@example.com");
    expect(server.messages).toHaveLength(1);
  });

  it("fails on rejected credentials without repeating the password", async () => {
    const password = "S3cret-Pa55word";
    const server = await startSmtp({
      allowInsecureAuth: true,
      authOptional: false,
      onAuth(auth, _session, callback) {
        // A careless server that echoes what it was sent.
        callback(smtpError(535, `Invalid login ${auth.username}/${auth.password}`));
      },
    });
    const result = await notifierFor(server.port, `shipcast:${password}@`).deliver(
      { to: ["dev@example.com"] },
      context("dlv_01AUTH"),
    );
    expect(result).toMatchObject({ outcome: "failed", httpStatus: 535 });
    expect(JSON.stringify(result)).not.toContain(password);
    expect(result.outcome === "failed" && result.error).toContain("EAUTH");
  });

  it("redacts a short password where it stands alone, by the rule every output follows", async () => {
    const password = "pw7";
    const server = await startSmtp({
      allowInsecureAuth: true,
      authOptional: false,
      onAuth(auth, _session, callback) {
        callback(smtpError(535, `Invalid login ${auth.username}/${auth.password} (pw7x)`));
      },
    });
    const result = await notifierFor(server.port, `shipcast:${password}@`).deliver(
      { to: ["dev@example.com"] },
      context("dlv_01SHORT"),
    );
    expect(result.outcome === "failed" && result.error).toContain("shipcast/[redacted] (pw7x)");
  });

  it("does not accept change.closed: a pull request's closing is for its comment only", async () => {
    const notifier = notifierFor(await closedPort());
    expect(notifier.accepts?.({ ...EVENT, kind: "change.closed" })).toBe(false);
    expect(notifier.accepts?.(EVENT)).toBe(true);
  });

  it("retries when the connection is refused", async () => {
    const port = await closedPort();
    const result = await notifierFor(port).deliver(
      { to: ["dev@example.com"] },
      context("dlv_01REFUSED"),
    );
    expect(result.outcome).toBe("retry");
    expect(result.outcome === "retry" && result.error).toContain("ECONNREFUSED");
  });

  it("retries as timed out, and hangs up, when the server stalls after DATA", async () => {
    const server = await startSmtp({
      onData(stream) {
        stream.resume(); // reads the message and never answers
      },
    });
    const started = Date.now();
    const result = await notifierFor(server.port).deliver(
      { to: ["dev@example.com"] },
      context("dlv_01STALL", AbortSignal.timeout(300)),
    );
    expect(result).toEqual({ outcome: "retry", error: "timed out" });
    expect(Date.now() - started).toBeLessThan(2_000);
    // The abandoned connection is closed rather than left to the server's idle timeout.
    await eventually(() => server.closed() === 1);
  });

  it("retries as timed out when the server accepts the connection but never greets", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    const port = await listen(silent);
    servers.push({ close: () => closeServer(silent) });

    const result = await notifierFor(port).deliver(
      { to: ["dev@example.com"] },
      context("dlv_01SILENT", AbortSignal.timeout(300)),
    );
    expect(result).toEqual({ outcome: "retry", error: "timed out" });
    await eventually(() => sockets.size === 0);
  });

  it("gives up as timed out on a transport that ignores the abort signal", async () => {
    // A transport plugin without supportsAbortSignal: nodemailer hands it the message and
    // then stops watching the signal, so only the notifier's own race ends the attempt.
    const stuck = createTransport({ name: "stuck", version: "1.0.0", send() {} });
    const result = await emailNotifier({ transport: stuck, from: FROM }).deliver(
      { to: ["dev@example.com"] },
      context("dlv_01STUCK", AbortSignal.timeout(100)),
    );
    expect(result).toEqual({ outcome: "retry", error: "timed out" });
  });

  it("does not connect at all when the attempt's time is already up", async () => {
    const server = await startSmtp();
    const result = await notifierFor(server.port).deliver(
      { to: ["dev@example.com"] },
      context("dlv_01LATE", AbortSignal.abort()),
    );
    expect(result).toEqual({ outcome: "retry", error: "timed out" } satisfies AttemptResult);
    expect(server.messages).toHaveLength(0);
  });
});

describe("email notifier settings", () => {
  const notifier = emailNotifier({
    transport: createSmtpTransport("smtp://127.0.0.1:25"),
    from: FROM,
  });

  it("accepts a list of addresses", () => {
    expect(notifier.settings.parse({ to: ["dev@example.com"] })).toEqual({
      to: ["dev@example.com"],
    });
  });

  it.each([
    ["no recipients", { to: [] }],
    ["an invalid address", { to: ["not an address"] }],
    ["a missing list", {}],
    ["unknown keys", { to: ["dev@example.com"], cc: ["ops@example.com"] }],
  ])("rejects %s", (_name, settings) => {
    expect(notifier.settings.safeParse(settings).success).toBe(false);
  });
});

describe("createSmtpTransport", () => {
  it("refuses a URL that is not smtp:// or smtps:// without echoing it", () => {
    expect(() => createSmtpTransport("https://user:hunter22@mail.example.com")).toThrow(
      /smtp:\/\/ or smtps:\/\//,
    );
    try {
      createSmtpTransport("https://user:hunter22@mail.example.com");
    } catch (error) {
      expect(String(error)).not.toContain("hunter22");
    }
  });

  it("reads TLS mode and credentials from the URL", () => {
    const transport = createSmtpTransport("smtps://user:pass@mail.example.com");
    const options = (transport.transporter as unknown as { options: Record<string, unknown> })
      .options;
    expect(options).toMatchObject({
      secure: true,
      host: "mail.example.com",
      auth: { user: "user", pass: "pass" },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 10_000,
    });
    transport.close();
  });
});

// ---- sockets ----

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error("no port"));
      else resolve(address.port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port that was just free: listen on an ephemeral port, then close it again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}
