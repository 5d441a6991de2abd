import type BetterSqlite3 from "better-sqlite3";

/**
 * SQLite commits with `synchronous = FULL` wait for an fsync, several milliseconds during which
 * the one thread of the process waits too. The inbox needs that (an event is on disk before its
 * 202); the workers' own bookkeeping does not: a commit without the fsync survives the process
 * being killed (the data is with the operating system), and in WAL mode the next full commit
 * writes it to disk as well. Only a power cut could take the last moments of bookkeeping back,
 * and what it covered is then done again (a delivery re-sent with its delivery id).
 *
 * SQLite only lets the setting change outside a transaction, so this wraps the connection Kysely
 * uses: `relaxed(run)` makes the next `begin` (the caller holds Kysely's one connection, so that
 * is its own) switch to `synchronous = NORMAL` in the same call, and the `commit` or `rollback`
 * that ends that transaction switch back to FULL in the same call, so nothing else (the inbox
 * writes, which bypass Kysely) can ever commit in between.
 */
export function withRelaxedCommits(db: BetterSqlite3.Database): {
  database: BetterSqlite3.Database;
  relaxed<T>(run: () => Promise<T>): Promise<T>;
} {
  let relaxNextBegin = false;
  let relaxedOpen = false;
  const restore = () => {
    if (relaxedOpen && !db.inTransaction) {
      relaxedOpen = false;
      db.pragma("synchronous = FULL");
    }
  };
  const wrap = (statement: BetterSqlite3.Statement, kind: "begin" | "end") =>
    new Proxy(statement, {
      get(target, property) {
        if (property === "run") {
          return (...args: unknown[]) => {
            if (kind === "begin" && relaxNextBegin) {
              relaxNextBegin = false;
              db.pragma("synchronous = NORMAL");
              relaxedOpen = true;
            }
            try {
              return target.run(...args);
            } finally {
              if (kind === "end") restore();
              else if (!db.inTransaction) restore();
            }
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const database = new Proxy(db, {
    get(target, property) {
      if (property === "prepare") {
        return (source: string) => {
          const statement = target.prepare(source);
          const text = source.trim().toLowerCase();
          if (text === "begin") return wrap(statement, "begin");
          if (text === "commit" || text === "rollback") return wrap(statement, "end");
          return statement;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    database,
    async relaxed(run) {
      relaxNextBegin = true;
      try {
        return await run();
      } finally {
        relaxNextBegin = false;
        restore();
      }
    },
  };
}
