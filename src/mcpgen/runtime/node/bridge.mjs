// mcpgen's Node bridge: describes TypeScript/JavaScript tool and connector modules, runs tool handlers
// and hosts connectors.
//
//   node bridge.mjs describe ROOT REL   one JSON line describing REL (tools/... or connectors/...), then exit
//   node bridge.mjs serve ROOT [FD]     newline-delimited JSON-RPC on stdin/stdout until stdin closes
//
// Connectors (connectors/*.ts, a default-exported object with metadata, initialize(config),
// testConnection(), disconnect() and its methods) live here, one instance per worker: the server
// sends "connector.configure" (the config of every connected connector) to a fresh worker and
// "connector.connect"/"health"/"close" to every worker; a connector is initialized lazily in a
// worker that has its config but has not initialized it yet (a worker started after a crash).
//
// stdout is the protocol channel only: process.stdout.write is redirected to stderr and console.*
// becomes "console" notifications, so tool output reaches the server's logs, never the protocol.
//
// Receipts: FD is a file the server opened for this worker. Before any code of the messages it just
// read runs, the bridge writes the highest id among them there (8 bytes, float64 little-endian, at
// offset 0) with a synchronous pwrite, so it survives a SIGKILL. Messages are read in order, so a
// call with a higher id never started here: when this worker is killed (a handler that never
// yields), the server runs those calls on another worker. No traffic on stdout, no cost per call
// for the server, which reads the file only when it needs to know.
// Shipped inside the mcpgen wheel; needs Node >= 22.18 (TypeScript type stripping), Node 24 in practice.

import { AsyncLocalStorage } from "node:async_hooks";
import { writeSync } from "node:fs";
import { format } from "node:util";
import { pathToFileURL } from "node:url";
import path from "node:path";

const protoWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const realExit = process.exit.bind(process);
const current = new AsyncLocalStorage();

function send(message) {
  protoWrite(JSON.stringify(message) + "\n");
}

class ExitCalled extends Error {
  constructor(code) {
    super(`process.exit(${code ?? ""}) was called; tools must return or throw instead`);
    this.name = "ExitCalled";
    this.exitCode = code;
  }
}

process.exit = (code) => {
  throw new ExitCalled(code);
};

// ------------------------------------------------------------------ loading

const modules = new Map();

function load(root, rel) {
  let found = modules.get(rel);
  if (found === undefined) {
    found = import(pathToFileURL(path.resolve(root, rel)).href);
    modules.set(rel, found);
  }
  return found;
}

const isFunction = (v) => typeof v === "function";
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** Every tool a module exports, as {attribute, metadata, handler}. */
function toolsOf(mod) {
  const found = [];
  const add = (attribute, value, fallbackHandler) => {
    if (!isObject(value)) return;
    if (isObject(value.metadata)) {
      const handler = isFunction(value.handler) ? value.handler : fallbackHandler;
      found.push({ attribute, metadata: value.metadata, handler });
    } else if (typeof value.name === "string" && isFunction(value.handler)) {
      const { handler, ...metadata } = value;
      found.push({ attribute, metadata, handler });
    }
  };
  if (Array.isArray(mod.tools)) {
    mod.tools.forEach((t, i) => add(`tools.${i}`, t));
  }
  if (isObject(mod.default) && Array.isArray(mod.default.tools)) {
    mod.default.tools.forEach((t, i) => add(`default.tools.${i}`, t));
  }
  if (isObject(mod.default)) add("default", mod.default);
  if (isObject(mod.metadata) && !found.some((t) => t.attribute === "default")) {
    const handler = isFunction(mod.handler) ? mod.handler : isFunction(mod.default) ? mod.default : undefined;
    found.push({ attribute: isFunction(mod.handler) ? "handler" : "default", metadata: mod.metadata, handler });
  }
  return found;
}

function pick(mod, attribute) {
  const tool = toolsOf(mod).find((t) => t.attribute === attribute);
  if (tool === undefined || !isFunction(tool.handler)) {
    throw new Error(`the module no longer exports a tool handler at '${attribute}'`);
  }
  return tool;
}

/** A JSON copy of metadata: functions, symbols and bigints are reported, not silently dropped. */
function plain(value, where) {
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (typeof v === "bigint") return Number(v);
      if (isFunction(v) || typeof v === "symbol") {
        throw new TypeError(`${where}.${key} is a ${typeof v}; metadata must be plain JSON`);
      }
      return v;
    }) ?? "null",
  );
}

function lineOf(stack, file) {
  const text = String(stack ?? "");
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`(?:file://)?${escaped}:(\\d+)`).exec(text);
  return match ? Number(match[1]) : null;
}

/** The function-valued properties of a connector object (own and inherited, not Object's). */
function functionsOf(obj) {
  const names = new Set();
  for (let o = obj; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key !== "constructor" && isFunction(obj[key])) names.add(key);
    }
  }
  return [...names].sort();
}

/** The connector a module default-exports, as {attribute, metadata, functions}, or null. */
function connectorOf(mod) {
  const value = mod.default;
  if (!isObject(value)) return null;
  return {
    attribute: "default",
    metadata: isObject(value.metadata) ? plain(value.metadata, "metadata") : null,
    functions: functionsOf(value),
  };
}

async function describe(root, rel) {
  const file = path.resolve(root, rel);
  let mod;
  try {
    mod = await load(root, rel);
  } catch (err) {
    return {
      ok: false,
      name: err?.name ?? "Error",
      code: err?.code ?? null,
      message: String(err?.message ?? err),
      line: lineOf(err?.stack, file),
      exit: err instanceof ExitCalled,
    };
  }
  const tools = [];
  try {
    if (rel.startsWith("connectors/")) {
      const found = connectorOf(mod);
      return { ok: true, tools: [], connectors: found === null ? [] : [found], exports: Object.keys(mod).sort() };
    }
    for (const t of toolsOf(mod)) {
      tools.push({
        attribute: t.attribute,
        hasHandler: isFunction(t.handler),
        takesContext: isFunction(t.handler) ? t.handler.length >= 2 : null,
        metadata: plain(t.metadata, "metadata"),
      });
    }
  } catch (err) {
    return { ok: false, name: "DefinitionError", code: null, message: String(err?.message ?? err), line: null };
  }
  return { ok: true, tools, exports: Object.keys(mod).sort() };
}

// ------------------------------------------------------------------ connectors

/** name -> {spec: {path, attribute, config}, ready: Promise<object> | null} */
const connectors = new Map();

class ConnectorUnavailable extends Error {
  constructor(message) {
    super(message);
    this.name = "ConnectorUnavailable";
  }
}

/** Rethrow `err` with `what` in front of its message, keeping its name (ConnectorAuthError means "refused"). */
function prefixed(what, err) {
  const wrapped = new Error(`${what} failed: ${err?.message ?? err}`);
  wrapped.name = err?.name ?? "Error";
  if (typeof err?.stack === "string") wrapped.stack = err.stack;
  return wrapped;
}

async function connectorObject(root, name, spec) {
  const mod = await load(root, spec.path);
  const obj = mod[spec.attribute];
  if (!isObject(obj)) throw new Error(`${spec.path} no longer exports the connector '${name}'`);
  return obj;
}

/** The initialized connector `name` in this worker (initializing it now if it is not yet). */
function ensureConnector(root, name) {
  const entry = connectors.get(name);
  if (entry === undefined) {
    return Promise.reject(new ConnectorUnavailable(`connector '${name}' is not configured in this worker`));
  }
  if (entry.ready === null) {
    entry.ready = (async () => {
      const obj = await connectorObject(root, name, entry.spec);
      if (isFunction(obj.initialize)) {
        try {
          await obj.initialize({ ...entry.spec.config });
        } catch (err) {
          throw prefixed("initialize()", err);
        }
      }
      return obj;
    })();
    entry.ready.catch(() => {
      if (entry.ready !== null && connectors.get(name) === entry) entry.ready = null; // retried next time
    });
  }
  return entry.ready;
}

async function closeConnector(name) {
  const entry = connectors.get(name);
  if (entry === undefined) return;
  connectors.delete(name);
  let obj;
  try {
    obj = entry.ready === null ? undefined : await entry.ready;
  } catch {
    return; // never initialized: nothing to disconnect
  }
  if (obj !== undefined && isFunction(obj.disconnect)) {
    try {
      await obj.disconnect();
    } catch (err) {
      throw prefixed("disconnect()", err);
    }
  }
}

async function connectorRequest(root, method, p) {
  if (method === "connector.connect") {
    await closeConnector(p.name).catch(() => {});
    connectors.set(p.name, { spec: p.spec, ready: null });
    await ensureConnector(root, p.name);
    return true;
  }
  if (method === "connector.health") {
    const obj = await ensureConnector(root, p.name);
    if (!isFunction(obj.testConnection)) return true;
    try {
      const ok = await obj.testConnection();
      return ok === undefined || ok === null ? true : Boolean(ok);
    } catch (err) {
      throw prefixed("testConnection()", err);
    }
  }
  if (method === "connector.close") {
    await closeConnector(p.name);
    return true;
  }
  throw new Error(`unknown method ${method}`);
}

/** ctx.connector(name) and ctx.connectors: the connectors the server says are connected, initialized here. */
async function connectorAccess(root, p) {
  const connected = p.connectors?.connected ?? [];
  const unavailable = p.connectors?.unavailable ?? {};
  const ready = new Map();
  const failed = new Map();
  for (const name of connected) {
    try {
      ready.set(name, await ensureConnector(root, name));
    } catch (err) {
      failed.set(name, String(err?.message ?? err));
    }
  }
  const get = (name) => {
    if (ready.has(name)) return ready.get(name);
    if (failed.has(name)) {
      throw new ConnectorUnavailable(`connector '${name}' is not usable in this worker: ${failed.get(name)}`);
    }
    if (Object.hasOwn(unavailable, name)) throw new ConnectorUnavailable(unavailable[name]);
    const known = [...connected, ...Object.keys(unavailable)].sort().join(", ") || "none";
    throw new ConnectorUnavailable(`no connector named '${name}' (connectors: ${known})`);
  };
  const view = new Proxy(
    {},
    {
      get: (target, key) => (typeof key === "string" && key !== "then" && key !== "toJSON" ? get(key) : undefined),
      has: (target, key) => ready.has(key),
      ownKeys: () => [...ready.keys()],
      getOwnPropertyDescriptor: (target, key) =>
        ready.has(key) ? { value: ready.get(key), enumerable: true, configurable: true } : undefined,
    },
  );
  return { connector: get, connectors: view };
}

// ------------------------------------------------------------------ serving

const calls = new Map();

function makeContext(id, p, controller, access) {
  const log = (level, message, data) =>
    send({ method: "log", params: { id, level, message: String(message), data: data ?? null } });
  const credentials = p.credentials ?? {};
  return {
    requestId: p.requestId ?? null,
    traceparent: p.traceparent ?? null,
    tracestate: p.tracestate ?? null,
    toolName: p.tool,
    signal: controller.signal,
    config: p.config ?? {},
    log,
    debug: (m, d) => log("debug", m, d),
    info: (m, d) => log("info", m, d),
    warning: (m, d) => log("warning", m, d),
    warn: (m, d) => log("warning", m, d),
    error: (m, d) => log("error", m, d),
    reportProgress: (progress, total, message) =>
      send({ method: "progress", params: { id, progress, total: total ?? null, message: message ?? null } }),
    credential: (name) => (Object.hasOwn(credentials, name) ? credentials[name] : null),
    connector: access.connector,
    connectors: access.connectors,
  };
}

function encode(id, value) {
  try {
    const text = JSON.stringify({ id, result: value === undefined ? null : value }, (key, v) => {
      if (typeof v === "bigint") throw new TypeError(`a BigInt at '${key}'`);
      if (isFunction(v) || typeof v === "symbol") throw new TypeError(`a ${typeof v} at '${key || "(root)"}'`);
      return v;
    });
    return text;
  } catch (err) {
    return JSON.stringify({
      id,
      error: { kind: "serialization", message: `the handler returned a value that is not JSON: ${err.message}` },
    });
  }
}

function failure(err) {
  if (err instanceof ExitCalled) return { kind: "exit", message: err.message };
  const name = err?.name ?? "Error";
  return {
    kind: name === "ValidationError" ? "validation" : "error",
    name,
    message: String(err?.message ?? err),
    stack: typeof err?.stack === "string" ? err.stack : null,
  };
}

async function call(root, id, p) {
  const controller = new AbortController();
  calls.set(id, controller);
  try {
    const tool = pick(await load(root, p.path), p.attribute);
    const input = p.arguments ?? {};
    const cancelled = controller.signal;
    const value = await current.run(id, () => {
      if (cancelled.aborted) return null; // cancelled before it started: it never runs
      if (p.kind === "seed") {
        const config = { ...(isObject(tool.metadata.config) ? tool.metadata.config : {}), ...(p.config ?? {}) };
        return tool.handler(input, config);
      }
      return connectorAccess(root, p).then((access) =>
        cancelled.aborted ? null : tool.handler(input, makeContext(id, p, controller, access)),
      );
    });
    if (!controller.signal.aborted) protoWrite(encode(id, value) + "\n");
  } catch (err) {
    if (!controller.signal.aborted) send({ id, error: failure(err) });
  } finally {
    calls.delete(id);
  }
}

function consoleTo(level) {
  return (...args) => {
    send({ method: "console", params: { id: current.getStore() ?? null, level, text: format(...args) } });
  };
}

function serve(root, receipts) {
  for (const [name, level] of [
    ["log", "info"],
    ["info", "info"],
    ["debug", "debug"],
    ["warn", "warning"],
    ["error", "error"],
    ["trace", "debug"],
  ]) {
    console[name] = consoleTo(level);
  }
  process.on("uncaughtException", (err) => {
    send({ method: "console", params: { id: null, level: "error", text: `uncaught exception: ${err?.stack ?? err}` } });
  });
  process.on("unhandledRejection", (err) => {
    send({ method: "console", params: { id: null, level: "error", text: `unhandled rejection: ${err?.stack ?? err}` } });
  });
  let buffer = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    buffer += chunk;
    const messages = [];
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim()) messages.push(JSON.parse(line));
    }
    if (messages.length === 0) return;
    if (receipts !== null) receipt(receipts, messages);
    for (const message of messages) dispatch(root, message);
  });
  process.stdin.on("end", () => realExit(0));
  send({ method: "ready", params: { pid: process.pid, node: process.version } });
}

const mark = Buffer.alloc(8);

/** Record in the receipts file that every message up to the highest id among `messages` was read. */
function receipt(fd, messages) {
  let highest = 0;
  for (const m of messages) if (typeof m.id === "number" && m.id > highest) highest = m.id;
  if (highest === 0) return;
  mark.writeDoubleLE(highest);
  try {
    writeSync(fd, mark, 0, 8, 0);
  } catch (err) {
    // without receipts the server cannot tell which calls ran: stop rather than run them unrecorded
    process.stderr.write(`cannot record receipts in fd ${fd}: ${err?.message ?? err}\n`);
    realExit(70);
  }
}

function dispatch(root, message) {
  if (message.method === "call") {
    call(root, message.id, message.params);
  } else if (message.method === "connector.configure") {
    for (const [name, spec] of Object.entries(message.params.specs ?? {})) {
      if (!connectors.has(name)) connectors.set(name, { spec, ready: null });
    }
  } else if (message.method?.startsWith("connector.")) {
    connectorRequest(root, message.method, message.params ?? {}).then(
      (result) => send({ id: message.id, result }),
      (err) => send({ id: message.id, error: failure(err) }),
    );
  } else if (message.method === "cancel") {
    const controller = calls.get(message.params.id);
    if (controller !== undefined) {
      controller.abort(new Error("cancelled: the call timed out or the client cancelled it"));
      calls.delete(message.params.id);
    }
    send({ method: "cancelled", params: { id: message.params.id } });
  }
}

// ------------------------------------------------------------------ main

const [mode, root, rel] = process.argv.slice(2); // rel: the module (describe) or the receipts fd (serve)
if (mode === "describe") {
  const result = await describe(root, rel);
  protoWrite(JSON.stringify({ path: rel, ...result }) + "\n", () => realExit(0));
} else if (mode === "serve") {
  serve(root, rel === undefined ? null : Number(rel));
} else {
  process.stderr.write("usage: bridge.mjs describe ROOT REL | serve ROOT [FD]\n");
  realExit(2);
}
