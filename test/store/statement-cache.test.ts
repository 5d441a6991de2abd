import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { withStatementCache } from "../../src/store/statement-cache.js";

describe("withStatementCache", () => {
  it("hands out the same prepared statement for the same SQL", () => {
    const db = withStatementCache(new BetterSqlite3(":memory:"));
    expect(db.prepare("select 1 as one")).toBe(db.prepare("select 1 as one"));
    expect(db.prepare("select 1 as one").get()).toEqual({ one: 1 });
    db.close();
  });

  it("forgets the least recently used statement past its size", () => {
    const db = withStatementCache(new BetterSqlite3(":memory:"), 2);
    const a = db.prepare("select 1");
    db.prepare("select 2");
    db.prepare("select 1");
    db.prepare("select 3");
    expect(db.prepare("select 1")).toBe(a);
    expect(db.prepare("select 2")).not.toBe(db.prepare("select 3"));
    db.close();
  });

  it("prepares a fresh statement while the cached one is still iterating", () => {
    const db = withStatementCache(new BetterSqlite3(":memory:"));
    db.exec("create table t (n integer); insert into t values (1), (2)");
    const sql = "select n from t order by n";
    const iterator = db.prepare(sql).iterate();
    iterator.next();
    const other = db.prepare(sql);
    expect(other.all()).toEqual([{ n: 1 }, { n: 2 }]);
    iterator.return?.();
    db.close();
  });

  it("passes everything else through to the connection", () => {
    const raw = new BetterSqlite3(":memory:");
    const db = withStatementCache(raw);
    expect(db.open).toBe(true);
    expect(db.inTransaction).toBe(false);
    db.transaction(() => {
      expect(raw.inTransaction).toBe(true);
    })();
    db.close();
    expect(raw.open).toBe(false);
  });
});
