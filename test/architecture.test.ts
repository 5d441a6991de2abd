import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/**
 * The floors of `src/`, top first (the README's architecture section): a module may import its
 * own floor and the floors below it, never one above. `notifiers/kit` is a floor of its own
 * below the provider folders, which must not import one another.
 */
const FLOORS = [
  "(root)",
  "cli",
  "web",
  "api",
  "server",
  "metrics",
  "services",
  "config",
  "ingest",
  "routing",
  "delivery",
  "notifiers/*",
  "notifiers/kit",
  "sources",
  "outbound",
  "events",
  "store",
  "logging",
] as const;

function floorOf(file: string): { floor: string; room: string } {
  const parts = relative(SRC, file).split("/");
  if (parts.length === 1) return { floor: "(root)", room: "(root)" };
  if (parts[0] === "notifiers") {
    if (parts.length === 2 || parts[1] === "kit") return { floor: "notifiers/kit", room: "kit" };
    return { floor: "notifiers/*", room: `notifiers/${parts[1]}` };
  }
  return { floor: parts[0] as string, room: parts[0] as string };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Every relative import in src/ that points to a floor above its own, or across providers. */
function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = resolve(dirname(file), (match[1] as string).replace(/\.js$/, ".ts"));
      const from = floorOf(file);
      const to = floorOf(target);
      const above =
        FLOORS.indexOf(to.floor as (typeof FLOORS)[number]) <
        FLOORS.indexOf(from.floor as (typeof FLOORS)[number]);
      const across =
        from.floor === "notifiers/*" && to.floor === from.floor && to.room !== from.room;
      if (above || across) {
        found.push(
          `${relative(SRC, file)} imports ${relative(SRC, target)} (${from.room} → ${to.room})`,
        );
      }
    }
  }
  return found;
}

describe("the layering of src/", () => {
  it("has every folder on a floor", () => {
    const folders = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
    const known = new Set(FLOORS.map((floor) => floor.split("/")[0]));
    expect(folders.filter((folder) => !known.has(folder))).toEqual([]);
  });

  it("never imports a floor above, nor one output provider from another", () => {
    expect(violations()).toEqual([]);
  });
});

/** Query builders and SQL template tags in src/ outside store/: the store is the only place with SQL. */
function sqlOutsideStore(): string[] {
  const store = join(SRC, "store");
  const patterns: Array<[RegExp, string]> = [
    [/\.\s*(selectFrom|updateTable|insertInto|deleteFrom|replaceInto|mergeInto)\s*\(/g, "$1"],
    [/\bsql\s*(<[^>]*>)?\s*`/g, "sql`…`"],
    [/\bsql\s*\.\s*(raw|ref|lit|id|table|join|val)\s*\(/g, "sql.$1"],
    [/import\s*\{[^}]*\bsql\b[^}]*\}\s*from\s*"kysely"/g, "sql import"],
  ];
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    if (file.startsWith(`${store}/`)) continue;
    const text = readFileSync(file, "utf8");
    for (const [pattern, label] of patterns) {
      for (const match of text.matchAll(pattern)) {
        const line = text.slice(0, match.index).split("\n").length;
        found.push(`${relative(SRC, file)}:${line} ${match[0].replace(pattern, label)}`);
      }
    }
  }
  return found;
}

describe("SQL in src/", () => {
  it("is written only in store/: no query builder or sql tag anywhere else", () => {
    expect(sqlOutsideStore()).toEqual([]);
  });
});

/** Every import in `folder` (.ts and .tsx) of a module in store/ that is not type-only. */
function storeValueImports(folder: string): string[] {
  const store = join(SRC, "store");
  const root = join(SRC, folder);
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return files(path);
      return /\.tsx?$/.test(path) ? [path] : [];
    });
  let found: string[] = [];
  try {
    found = files(root);
  } catch {
    return []; // no such folder yet
  }
  const imports =
    /\b(import|export)\s+(type\s+)?(?:[^;"]*?\s+from\s+)?"([^"]+)"|import\s*\(\s*"([^"]+)"/g;
  return found.flatMap((file) => {
    const text = readFileSync(file, "utf8");
    return [...text.matchAll(imports)].flatMap((match) => {
      const specifier = match[3] ?? match[4] ?? "";
      if (!specifier.startsWith(".")) return [];
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(`${store}/`)) return [];
      return match[2] ? [] : [`${relative(SRC, file)} imports ${relative(SRC, target)}`];
    });
  });
}

describe("the views over the services", () => {
  it("api/ and web/ import nothing from store/ but types: they go through the services", () => {
    expect([...storeValueImports("api"), ...storeValueImports("web")]).toEqual([]);
  });
});
