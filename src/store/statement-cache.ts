import type BetterSqlite3 from "better-sqlite3";

/**
 * Wraps a better-sqlite3 connection so that `prepare()` reuses statements by SQL text (least
 * recently used first out). Kysely's SQLite driver prepares every query it runs; the workers run
 * the same few queries over and over, and preparing them again each time was a tenth of their
 * cost. A statement still iterating is never handed out twice.
 */
export function withStatementCache(db: BetterSqlite3.Database, max = 512): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (source: string): BetterSqlite3.Statement => {
    const cached = cache.get(source);
    if (cached && !cached.busy) {
      cache.delete(source);
      cache.set(source, cached);
      return cached;
    }
    const statement = db.prepare(source);
    cache.set(source, statement);
    if (cache.size > max) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return statement;
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return prepare;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
