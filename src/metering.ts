import type { DurableObject } from "cloudflare:workers";

/**
 * Counts the operations Cloudflare bills for, for `npm run bench`. It is off
 * unless the Worker's METERING variable is "on". When on, it wraps the
 * Worker's bindings and a Durable Object's storage:
 *
 * - D1: statements run, and rows read and written as D1 reports them in each
 *   result's `meta` (D1 bills rows scanned, and index entries as rows written).
 * - KV: get, put, delete and list calls; a bulk get counts one read per key.
 * - Durable Object stubs: each method call (an RPC session) and fetch.
 * - Durable Object storage: SQL rows read and written from each cursor,
 *   alarm invocations, and setAlarm calls (billed as one row written each).
 * - Workers Analytics Engine data points, and rate limiter calls.
 * - The wall time spent awaiting each kind of binding.
 *
 * The counts live in module state, so they add up everything that ran in
 * this isolate. In `wrangler dev` the Worker and its Durable Objects share
 * one isolate. Deployed, each isolate would count only its own share, so the
 * counts are for local benchmarks only. Read them with
 * `GET /__metering` and reset them with `DELETE /__metering`, both with the
 * admin bearer token.
 *
 * NOTE: with metering on, a SELECT run through D1's raw() is run twice (once
 * for the rows, once through all() for the row counts), because raw() returns
 * no `meta`. Only the second run is counted.
 */

export interface MeteringCounts {
  /** Invocations of the Worker's fetch handler, the metering path left out. */
  workerRequests: number;
  kv: { reads: number; writes: number; deletes: number; lists: number };
  d1: {
    statements: number;
    rowsRead: number;
    rowsWritten: number;
    /** Statements whose row counts D1 did not return, so they are missing from the row totals. */
    unmeteredStatements: number;
    byStatement: Record<string, StatementCounts>;
  };
  durableObjects: {
    /** Method calls and fetches on stubs; each is one billed request. */
    stubRequests: number;
    /** Alarm handler runs; each is one billed request. */
    alarmInvocations: number;
    sqlRowsRead: number;
    sqlRowsWritten: number;
    setAlarmCalls: number;
    getAlarmCalls: number;
    deleteAlarmCalls: number;
    /** Wall time spent in alarm handlers, in milliseconds. */
    alarmWallMs: number;
    sqlByStatement: Record<string, StatementCounts>;
  };
  analyticsEngineDataPoints: number;
  rateLimiterCalls: number;
  /** Wall time spent awaiting each kind of binding, in milliseconds, summed over concurrent calls. */
  waitMs: { d1: number; kv: number; durableObjectStubs: number };
  /** The maximum single wait on each kind of binding, in milliseconds. */
  maxWaitMs: { d1: number; kv: number; durableObjectStubs: number };
}

/** Counts of one kind of statement, such as "insert events" or "select visits". */
export interface StatementCounts {
  statements: number;
  rowsRead: number;
  rowsWritten: number;
}

/** The path that returns (GET) or resets (DELETE) the counts while metering is on. */
export const METERING_PATH = "/__metering";

/** Marks handlers and classes already wrapped, so wrapping twice does not count twice. */
const METERED = Symbol.for("chup-edge-gateway.metered");

function zeroCounts(): MeteringCounts {
  return {
    workerRequests: 0,
    kv: { reads: 0, writes: 0, deletes: 0, lists: 0 },
    d1: { statements: 0, rowsRead: 0, rowsWritten: 0, unmeteredStatements: 0, byStatement: {} },
    durableObjects: {
      stubRequests: 0,
      alarmInvocations: 0,
      sqlRowsRead: 0,
      sqlRowsWritten: 0,
      setAlarmCalls: 0,
      getAlarmCalls: 0,
      deleteAlarmCalls: 0,
      alarmWallMs: 0,
      sqlByStatement: {},
    },
    analyticsEngineDataPoints: 0,
    rateLimiterCalls: 0,
    waitMs: { d1: 0, kv: 0, durableObjectStubs: 0 },
    maxWaitMs: { d1: 0, kv: 0, durableObjectStubs: 0 },
  };
}

let counts = zeroCounts();

export function meteringCounts(): MeteringCounts {
  return structuredClone(counts);
}

export function resetMeteringCounts(): void {
  counts = zeroCounts();
}

/** True when the Worker's METERING variable is "on". */
export function isMeteringOn(env: unknown): boolean {
  return typeof env === "object" && env !== null && (env as { METERING?: unknown }).METERING === "on";
}

type WaitKind = keyof MeteringCounts["waitMs"];

/** Awaits `work` and adds the wall time it took to the waits of `kind`. */
async function timed<T>(kind: WaitKind, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const millis = performance.now() - started;
    counts.waitMs[kind] += millis;
    counts.maxWaitMs[kind] = Math.max(counts.maxWaitMs[kind], millis);
  }
}

/**
 * Names a statement by its verb and first table, such as "insert events" or
 * "select outbox", so the counts show where rows go without keeping every SQL text.
 */
export function statementLabel(sql: string): string {
  const text = sql.replace(/\s+/g, " ").trim().toLowerCase();
  const write = /^(insert(?: or \w+)? into|replace into|update|delete from) "?(\w+)"?/.exec(text);
  if (write?.[1] && write[2]) {
    return `${write[1].split(" ")[0]} ${write[2]}`;
  }
  if (/^(select|with)\b/.test(text)) {
    return `select ${/\bfrom "?(\w+)"?/.exec(text)?.[1] ?? "(no table)"}`;
  }
  return text.split(" ")[0] || "(empty)";
}

function statementCounts(table: Record<string, StatementCounts>, label: string): StatementCounts {
  table[label] ??= { statements: 0, rowsRead: 0, rowsWritten: 0 };
  return table[label];
}

// ---------------------------------------------------------------------------
// D1

interface D1Meta {
  rows_read?: number;
  rows_written?: number;
}

function addD1Meta(label: string, meta: D1Meta | undefined): void {
  const byLabel = statementCounts(counts.d1.byStatement, label);
  counts.d1.statements += 1;
  byLabel.statements += 1;
  if (meta && typeof meta.rows_read === "number" && typeof meta.rows_written === "number") {
    counts.d1.rowsRead += meta.rows_read;
    counts.d1.rowsWritten += meta.rows_written;
    byLabel.rowsRead += meta.rows_read;
    byLabel.rowsWritten += meta.rows_written;
  } else {
    counts.d1.unmeteredStatements += 1;
  }
}

/** Statements that only read, whose second run for the counts changes nothing. */
function isReadOnly(sql: string): boolean {
  return /^\s*(select|with|pragma|explain)\b/i.test(sql) && !/\b(insert|update|delete|replace|returning)\b/i.test(sql);
}

class MeteredD1Statement {
  constructor(
    readonly inner: D1PreparedStatement,
    readonly sql: string,
  ) {}

  bind(...values: unknown[]): MeteredD1Statement {
    return new MeteredD1Statement(this.inner.bind(...values), this.sql);
  }

  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await timed("d1", () => this.inner.run<T>());
    addD1Meta(statementLabel(this.sql), result.meta);
    return result;
  }

  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await timed("d1", () => this.inner.all<T>());
    addD1Meta(statementLabel(this.sql), result.meta);
    return result;
  }

  /** Runs through all(), which returns `meta`; first() returns the first row, or one column of it, or null. */
  async first<T = unknown>(column?: string): Promise<T | null> {
    const { results } = await this.all<Record<string, unknown>>();
    const row = results[0];
    if (row === undefined) {
      return null;
    }
    return (column === undefined ? row : (row[column] ?? null)) as T | null;
  }

  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    const rows = await timed<T[] | [string[], ...T[]]>("d1", () => (options?.columnNames ? this.inner.raw<T>({ columnNames: true }) : this.inner.raw<T>()));
    if (isReadOnly(this.sql)) {
      addD1Meta(statementLabel(this.sql), (await this.inner.all()).meta);
    } else {
      // Running a write twice would write twice, so its rows stay uncounted.
      addD1Meta(statementLabel(this.sql), undefined);
    }
    return rows;
  }
}

function unwrapStatement(statement: D1PreparedStatement | MeteredD1Statement): D1PreparedStatement {
  return statement instanceof MeteredD1Statement ? statement.inner : statement;
}

function labelOf(statement: D1PreparedStatement | MeteredD1Statement): string {
  return statement instanceof MeteredD1Statement ? statementLabel(statement.sql) : "(not prepared through metering)";
}

/** Wraps prepare() and batch() of a D1 database or session; anything else passes through. */
function meterD1<T extends { prepare(sql: string): D1PreparedStatement; batch(statements: D1PreparedStatement[]): Promise<D1Result[]> }>(database: T): T {
  return new Proxy(database, {
    get(target, property) {
      if (property === "prepare") {
        return (sql: string) => new MeteredD1Statement(target.prepare(sql), sql);
      }
      if (property === "batch") {
        return async (statements: (D1PreparedStatement | MeteredD1Statement)[]) => {
          const results = await timed("d1", () => target.batch(statements.map(unwrapStatement)));
          results.forEach((result, index) => addD1Meta(labelOf(statements[index]!), result.meta));
          return results;
        };
      }
      if (property === "withSession") {
        return (...args: unknown[]) => meterD1((target as unknown as D1Database).withSession(...(args as [string])));
      }
      if (property === "exec") {
        return async (sql: string) => {
          const result = await timed("d1", () => (target as unknown as D1Database).exec(sql));
          for (let index = 0; index < result.count; index++) {
            addD1Meta("exec", undefined);
          }
          return result;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

// ---------------------------------------------------------------------------
// KV

function meterKv(namespace: KVNamespace): KVNamespace {
  return new Proxy(namespace, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") {
        return value;
      }
      const call = (...args: unknown[]) => Reflect.apply(value as (...parameters: unknown[]) => Promise<unknown>, target, args);
      switch (property) {
        case "get":
        case "getWithMetadata":
          return (...args: unknown[]) => {
            counts.kv.reads += Array.isArray(args[0]) ? args[0].length : 1;
            return timed("kv", () => call(...args));
          };
        case "put":
          return (...args: unknown[]) => {
            counts.kv.writes += 1;
            return timed("kv", () => call(...args));
          };
        case "delete":
          return (...args: unknown[]) => {
            counts.kv.deletes += 1;
            return timed("kv", () => call(...args));
          };
        case "list":
          return (...args: unknown[]) => {
            counts.kv.lists += 1;
            return timed("kv", () => call(...args));
          };
        default:
          return value.bind(target);
      }
    },
  });
}

// ---------------------------------------------------------------------------
// Durable Object stubs

/** Stub members that are not RPC methods and so are not billed requests. */
const STUB_PLAIN_MEMBERS = new Set(["id", "name", "then", "constructor", "toString", "toJSON"]);

function meterStub<T extends object>(stub: T): T {
  return new Proxy(stub, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof property !== "string" || STUB_PLAIN_MEMBERS.has(property) || typeof value !== "function") {
        return value;
      }
      return (...args: unknown[]) => {
        counts.durableObjects.stubRequests += 1;
        // Reflect.apply, because `value.apply` on an RPC stub would be a call to a remote method named "apply".
        return timed("durableObjectStubs", async () => Reflect.apply(value as (...parameters: unknown[]) => unknown, target, args));
      };
    },
  });
}

function meterNamespace<T extends DurableObjectNamespace<any>>(namespace: T): T {
  return new Proxy(namespace, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") {
        return value;
      }
      if (property === "get" || property === "getByName") {
        return (...args: unknown[]) => meterStub(Reflect.apply(value as (...parameters: unknown[]) => object, target, args));
      }
      if (property === "jurisdiction") {
        return (...args: unknown[]) => meterNamespace(Reflect.apply(value as (...parameters: unknown[]) => T, target, args));
      }
      return value.bind(target);
    },
  });
}

// ---------------------------------------------------------------------------
// Analytics Engine and rate limiters

/** Counts calls of one method of a binding with `count`, passing everything else through. */
function countCalls<T extends object>(binding: T, method: string, count: () => void): T {
  return new Proxy(binding, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") {
        return value;
      }
      if (property !== method) {
        return value.bind(target);
      }
      return (...args: unknown[]) => {
        count();
        return Reflect.apply(value as (...parameters: unknown[]) => unknown, target, args);
      };
    },
  });
}

// ---------------------------------------------------------------------------
// Bindings

function looksLikeD1(value: object): value is D1Database {
  return typeof (value as D1Database).prepare === "function" && typeof (value as D1Database).batch === "function";
}

function looksLikeKv(value: object): value is KVNamespace {
  const kv = value as KVNamespace;
  return typeof kv.get === "function" && typeof kv.put === "function" && typeof kv.list === "function" && typeof kv.getWithMetadata === "function";
}

function looksLikeNamespace(value: object): value is DurableObjectNamespace<any> {
  const namespace = value as DurableObjectNamespace<any>;
  return typeof namespace.idFromName === "function" && typeof namespace.get === "function";
}

function looksLikeAnalyticsEngine(value: object): value is AnalyticsEngineDataset {
  return typeof (value as AnalyticsEngineDataset).writeDataPoint === "function";
}

function looksLikeRateLimiter(value: object): boolean {
  return typeof (value as { limit?: unknown }).limit === "function";
}

const meteredEnvs = new WeakMap<object, object>();
const meteredEnvCopies = new WeakSet<object>();

/**
 * Returns a copy of `env` whose D1, KV, Durable Object namespace, Analytics
 * Engine and rate limiter bindings count their billable operations. Other
 * bindings and variables are kept.
 */
export function meterEnv<E extends object>(env: E): E {
  if (meteredEnvCopies.has(env)) {
    return env;
  }
  const cached = meteredEnvs.get(env);
  if (cached) {
    return cached as E;
  }
  const metered: Record<string, unknown> = {};
  for (const [name, binding] of Object.entries(env)) {
    if (typeof binding !== "object" || binding === null) {
      metered[name] = binding;
    } else if (looksLikeD1(binding)) {
      metered[name] = meterD1(binding);
    } else if (looksLikeKv(binding)) {
      metered[name] = meterKv(binding);
    } else if (looksLikeNamespace(binding)) {
      metered[name] = meterNamespace(binding);
    } else if (looksLikeAnalyticsEngine(binding)) {
      metered[name] = countCalls(binding, "writeDataPoint", () => (counts.analyticsEngineDataPoints += 1));
    } else if (looksLikeRateLimiter(binding)) {
      metered[name] = countCalls(binding, "limit", () => (counts.rateLimiterCalls += 1));
    } else {
      metered[name] = binding;
    }
  }
  meteredEnvs.set(env, metered);
  meteredEnvCopies.add(metered);
  return metered as E;
}

// ---------------------------------------------------------------------------
// Durable Object storage

/** Adds a SQL cursor's rows read and written, counting only what it added since the last call. */
function meterCursor<T extends Record<string, SqlStorageValue>>(cursor: SqlStorageCursor<T>, label: string): SqlStorageCursor<T> {
  const byLabel = statementCounts(counts.durableObjects.sqlByStatement, label);
  byLabel.statements += 1;
  let countedRead = 0;
  let countedWritten = 0;
  const settle = () => {
    const read = cursor.rowsRead - countedRead;
    const written = cursor.rowsWritten - countedWritten;
    counts.durableObjects.sqlRowsRead += read;
    counts.durableObjects.sqlRowsWritten += written;
    byLabel.rowsRead += read;
    byLabel.rowsWritten += written;
    countedRead = cursor.rowsRead;
    countedWritten = cursor.rowsWritten;
  };
  // A statement without result rows runs to completion inside exec().
  settle();
  return new Proxy(cursor, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") {
        return value;
      }
      // NOTE: rows a caller reads by iterating the cursor itself, not through
      // toArray(), one(), next() or raw(), are counted only up to the last of these calls.
      return (...args: unknown[]) => {
        try {
          return Reflect.apply(value as (...parameters: unknown[]) => unknown, target, args);
        } finally {
          settle();
        }
      };
    },
  });
}

function meterSql(sql: SqlStorage): SqlStorage {
  return new Proxy(sql, {
    get(target, property) {
      if (property === "exec") {
        return (query: string, ...bindings: unknown[]) => meterCursor(target.exec(query, ...bindings), statementLabel(query));
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const instrumentedStorages = new WeakSet<DurableObjectStorage>();

/**
 * Makes a Durable Object's storage count SQL rows and alarm calls. The
 * runtime rejects anything but its own DurableObjectState in a Durable
 * Object's constructor, so the storage object itself gets own properties
 * that shadow `sql`, `setAlarm`, `getAlarm` and `deleteAlarm`.
 */
export function instrumentStorage(storage: DurableObjectStorage): void {
  if (instrumentedStorages.has(storage)) {
    return;
  }
  instrumentedStorages.add(storage);
  const sql = meterSql(storage.sql);
  const setAlarm = storage.setAlarm.bind(storage);
  const getAlarm = storage.getAlarm.bind(storage);
  const deleteAlarm = storage.deleteAlarm.bind(storage);
  Object.defineProperties(storage, {
    sql: { value: sql, configurable: true },
    setAlarm: {
      value: (...args: Parameters<DurableObjectStorage["setAlarm"]>) => {
        counts.durableObjects.setAlarmCalls += 1;
        return setAlarm(...args);
      },
      configurable: true,
    },
    getAlarm: {
      value: (...args: Parameters<DurableObjectStorage["getAlarm"]>) => {
        counts.durableObjects.getAlarmCalls += 1;
        return getAlarm(...args);
      },
      configurable: true,
    },
    deleteAlarm: {
      value: (...args: Parameters<DurableObjectStorage["deleteAlarm"]>) => {
        counts.durableObjects.deleteAlarmCalls += 1;
        return deleteAlarm(...args);
      },
      configurable: true,
    },
  });
}

// ---------------------------------------------------------------------------
// Entry points

type DurableObjectClass = new (...args: any[]) => DurableObject<any>;

/**
 * Returns a subclass of a Durable Object class that, with METERING=on, hands
 * the class metered bindings, meters its storage and counts its alarm
 * invocations.
 * With metering off it behaves exactly as the class it extends.
 */
export function meteredDurableObject<T extends DurableObjectClass>(Base: T): T {
  if (METERED in Base) {
    return Base;
  }
  return class MeteredDurableObject extends Base {
    static readonly [METERED] = true;
    readonly #metered: boolean;

    constructor(...args: any[]) {
      const [state, env, ...rest] = args as [DurableObjectState, object, ...unknown[]];
      const metered = isMeteringOn(env);
      if (metered) {
        instrumentStorage(state.storage);
      }
      super(state, metered ? meterEnv(env) : env, ...rest);
      this.#metered = metered;
    }

    override async alarm(alarmInfo?: AlarmInvocationInfo): Promise<void> {
      const alarm = Base.prototype.alarm as ((info?: AlarmInvocationInfo) => void | Promise<void>) | undefined;
      if (!alarm) {
        return;
      }
      if (!this.#metered) {
        await alarm.call(this, alarmInfo);
        return;
      }
      counts.durableObjects.alarmInvocations += 1;
      const started = performance.now();
      try {
        await alarm.call(this, alarmInfo);
      } finally {
        counts.durableObjects.alarmWallMs += performance.now() - started;
      }
    }
  };
}

/**
 * Wraps a Worker's handlers. With METERING=on, fetch and scheduled get
 * metered bindings, each request is counted, and METERING_PATH serves the
 * counts. With metering off every handler behaves as before.
 */
export function meteredWorker<H extends ExportedHandler<any>>(handler: H): H {
  if (METERED in handler) {
    return handler;
  }
  const { fetch, scheduled } = handler;
  if (!fetch) {
    throw new Error("meteredWorker needs a handler with a fetch method.");
  }
  const wrapped: ExportedHandler<any> & { [METERED]: true } = {
    ...handler,
    [METERED]: true,
    async fetch(request, env: { ADMIN_TOKEN?: string }, ctx) {
      if (!isMeteringOn(env)) {
        return fetch(request, env, ctx);
      }
      if (new URL(request.url).pathname === METERING_PATH) {
        return serveCounts(request, env.ADMIN_TOKEN);
      }
      counts.workerRequests += 1;
      return fetch(request, meterEnv(env), ctx);
    },
  };
  if (scheduled) {
    wrapped.scheduled = (controller, env: object, ctx) => scheduled(controller, isMeteringOn(env) ? meterEnv(env) : env, ctx);
  }
  return wrapped as unknown as H;
}

async function serveCounts(request: Request, adminToken: string | undefined): Promise<Response> {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  if (!adminToken || !presented || !(await tokensEqual(presented, adminToken))) {
    return Response.json({ error: `${METERING_PATH} requires the admin token as "Authorization: Bearer <ADMIN_TOKEN>".` }, { status: 401 });
  }
  if (request.method === "DELETE") {
    resetMeteringCounts();
    return new Response(null, { status: 204 });
  }
  if (request.method === "GET") {
    return Response.json(meteringCounts());
  }
  return Response.json({ error: `${METERING_PATH} accepts GET (read the counts) and DELETE (reset them).` }, { status: 405, headers: { allow: "GET, DELETE" } });
}

/** Compares SHA-256 digests in constant time, so neither the token nor its length leaks through timing. */
async function tokensEqual(presented: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", encoder.encode(presented)), crypto.subtle.digest("SHA-256", encoder.encode(expected))]);
  return crypto.subtle.timingSafeEqual(a, b);
}
