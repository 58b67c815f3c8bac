// The local DynamoDB (dynalite on LevelDB) in a worker thread, still on a loopback port: the SDK's work in the
// main thread and the server's work here run on two CPUs. Plain JavaScript, so the same file serves the
// TypeScript sources (tsx, vitest) and the prebuilt CLI. Driven by local/dynamo.ts; protocol:
//   parent → worker  { type: 'start', home }   take `<home>/lock`, open `<home>/dynamodb`, listen on 127.0.0.1
//   worker → parent  { type: 'listening', port, tables? } or { type: 'failed', error }
//   parent → worker  { type: 'stop' }           close the server (and its database), then the lock
//   worker → parent  { type: 'stopped', error? }
import module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

// The parent's compile cache (a worker does not inherit it): later starts skip compiling dynalite.
if (workerData?.compileCache) module.enableCompileCache?.(workerData.compileCache);
const require = createRequire(import.meta.url);
// Loaded at once: a worker started ahead of time (bin/kaizen.ts) loads the server while the CLI loads its modules.
const dynalite = require('dynalite');
const { Level } = createRequire(require.resolve('dynalite'))('level');
const fromDynalite = createRequire(require.resolve('dynalite'));

// dynalite's own store and ListTables action, so the tables found at start are named without a request through the
// SDK; `tables` stays undefined (the parent then asks over HTTP) if a dynalite version lays them out otherwise.
let store;
let listTables;
try {
  const db = fromDynalite('./db');
  listTables = fromDynalite('./actions/listTables');
  const create = db.create;
  db.create = (options) => {
    store = create(options);
    cacheTableDescriptions(store.tableDb);
    return store;
  };
} catch {
  listTables = undefined;
}

/**
 * dynalite reads the table's description from LevelDB at every request (a native read on the thread pool and a JSON
 * decode: about a tenth of the server's time in a sweep). A description changes only through dynalite's own writes
 * to its table store, so it is kept here, as JSON text, from its first read until dynalite writes or deletes it. A
 * read that overlapped a write (started before it ended) is not kept: it may hold the old description. Left alone
 * if a dynalite version lays its store out otherwise.
 */
function cacheTableDescriptions(tableDb) {
  if (!['get', 'put', 'del', 'batch'].every((method) => typeof tableDb?.[method] === 'function')) return;
  const { get, put, del, batch } = tableDb;
  const kept = new Map();
  // Bumped when a write starts and when it ends; a read is kept only if no write was in flight meanwhile.
  let generation = 0;
  let writing = 0;
  tableDb.get = (name, callback) => {
    const text = kept.get(name);
    if (text !== undefined) return process.nextTick(callback, null, JSON.parse(text));
    const before = writing === 0 ? generation : -1;
    get.call(tableDb, name, (error, table) => {
      if (!error && table && typeof table === 'object' && writing === 0 && generation === before)
        kept.set(name, JSON.stringify(table));
      callback(error, table);
    });
  };
  const forgetting =
    (write) =>
    (...args) => {
      const callback = typeof args.at(-1) === 'function' ? args.pop() : undefined;
      generation += 1;
      writing += 1;
      kept.clear();
      return write.call(tableDb, ...args, (...results) => {
        generation += 1;
        writing -= 1;
        kept.clear();
        callback?.(...results);
      });
    };
  tableDb.put = forgetting(put);
  tableDb.del = forgetting(del);
  tableDb.batch = forgetting(batch);
}

/** Names of the tables in the database, or undefined when dynalite's store is out of reach. */
function tableNames() {
  if (!store || typeof listTables !== 'function') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    listTables(store, { Limit: 100 }, (error, result) => resolve(error ? undefined : result.TableNames));
  });
}

/** A plain copy of an error that survives postMessage (Error's own `code` and `cause` do not). */
function plain(error) {
  return {
    name: error?.name ?? 'Error',
    message: error?.message ?? String(error),
    code: error?.code,
    causeCode: error?.cause?.code,
    causeMessage: error?.cause?.message,
    stack: error?.stack,
  };
}

let lock;
let server;

async function start(home) {
  // The OS drops this lock if the process dies; taking it first keeps dynalite from crashing on a locked database.
  lock = new Level(join(home, 'lock'));
  await lock.open();
  server = dynalite({ path: join(home, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

async function stop() {
  const failures = [];
  if (server?.listening) {
    // dynalite's close also closes its database once the server has closed.
    await new Promise((resolve) => server.close((error) => resolve(error && failures.push(error))));
  }
  await lock?.close().catch((error) => failures.push(error));
  if (failures.length > 0) throw failures[0];
}

parentPort.on('message', (message) => {
  if (message.type === 'start') {
    start(message.home).then(
      async (port) => parentPort.postMessage({ type: 'listening', port, tables: await tableNames() }),
      (error) =>
        stop()
          .catch(() => undefined)
          .then(() => parentPort.postMessage({ type: 'failed', error: plain(error) })),
    );
  } else if (message.type === 'stop') {
    stop().then(
      () => parentPort.postMessage({ type: 'stopped' }),
      (error) => parentPort.postMessage({ type: 'stopped', error: plain(error) }),
    );
  }
});
