import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProcessLogger } from "../../src/logging/logger.js";

/** A stand-in for standard output that keeps what is written, on a terminal or not. */
function output(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  }) as Writable & { isTTY: boolean };
  stream.isTTY = isTTY;
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join("") };
}

describe("the process logger", () => {
  it("writes JSON when standard output is not a terminal and LOG_FORMAT is unset", () => {
    const out = output(false);
    createProcessLogger("info", undefined, out.stream).info({ webhook: { status: 202 } }, "hello");
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, msg: "hello", webhook: { status: 202 } });
  });

  it("writes coloured lines for people on a terminal, the facts left to the message", () => {
    const out = output(true);
    const previous = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      createProcessLogger("info", undefined, out.stream).info(
        { webhook: { status: 202 }, extra: 1 },
        "hello",
      );
    } finally {
      if (previous !== undefined) process.env.NO_COLOR = previous;
    }
    expect(out.text()).toContain("\u001b[");
    expect(out.text()).toContain("hello");
    // The subject's facts are in the message already; anything else is still shown.
    expect(out.text()).not.toContain("status");
    expect(out.text()).toMatch(/extra.*: .*1/);
  });

  it("writes JSON on a terminal when told to, and plain lines in a pipe when told to", () => {
    const terminal = output(true);
    createProcessLogger("info", "json", terminal.stream).warn("careful");
    expect(JSON.parse(terminal.text())).toMatchObject({ level: 40, msg: "careful" });
    const pipe = output(false);
    createProcessLogger("info", "pretty", pipe.stream).error({ err: new Error("boom") }, "failed");
    expect(pipe.text()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: failed\n/);
    expect(pipe.text()).toContain("Error: boom");
    expect(pipe.text()).not.toContain("\u001b[");
  });
});
