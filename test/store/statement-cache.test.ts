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

  it("evicts the least recently used statement past its size and prepares it again when asked", () => {
    const db = withStatementCache(new BetterSqlite3(":memory:"), 2);
    const one = db.prepare("select 1 as n");
    const two = db.prepare("select 2 as n");
    // Using "select 1" again leaves "select 2" the least recently used.
    expect(db.prepare("select 1 as n")).toBe(one);
    const three = db.prepare("select 3 as n");

    expect(db.prepare("select 1 as n")).toBe(one);
    expect(db.prepare("select 3 as n")).toBe(three);
    const twoAgain = db.prepare("select 2 as n");
    expect(twoAgain).not.toBe(two);
    expect(twoAgain.get()).toEqual({ n: 2 });
    // Evicted means forgotten, not finalized: whoever still holds it can run it.
    expect(two.get()).toEqual({ n: 2 });
    // Preparing "select 2" again made room by evicting "select 1", the least recently used then.
    expect(db.prepare("select 2 as n")).toBe(twoAgain);
    expect(db.prepare("select 1 as n")).not.toBe(one);
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
