// Builds the prebuilt CLI into dist/cli/: the `kaizen` entry and every step handler (which the local engine
// imports), with shared chunks and lazy per-command chunks, so a command starts without compiling TypeScript.
// Run by `npm ci` (the `prepare` script) and by bin/kaizen.js when a source file is newer than the build.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'dist', 'cli');
/** What the launcher reads to decide whether the build is older than its sources. */
export const MANIFEST = 'build.json';

/** Packages left to Node's resolution at run time. */
const LOADED_AT_RUN_TIME = [
  'dynalite',
  's3rver',
  'aws-local-stepfunctions',
  'esbuild',
  'tsx',
  'vega',
  'vega-lite',
  'node',
];

/**
 * `import … from 'node:http'` (or `import('node:http')`, as the AWS SDK's HTTP handler does) makes Node fill the
 * module's namespace with every export, and the lazy ones (`WebSocket`, `MessageEvent`, …) load its fetch
 * implementation: about 50 ms at every start. The build reads `node:http` through `require` instead, exporting only
 * its plain (non-lazy) properties.
 */
const plainHttp = {
  name: 'plain-node-http',
  setup(build) {
    build.onResolve({ filter: /^(node:)?http$/ }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: 'node:http', namespace: 'plain-node-http' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'plain-node-http' }, async () => {
      const http = await import('node:http');
      const names = Object.entries(Object.getOwnPropertyDescriptors(http.default))
        .filter(([name, descriptor]) => 'value' in descriptor && /^[A-Za-z_$][\w$]*$/.test(name))
        .map(([name]) => name);
      return {
        contents: [
          "import { createRequire } from 'node:module';",
          "const http = createRequire(import.meta.url)('node:http');",
          'export default http;',
          ...names.map((name) => `export const ${name} = http.${name};`),
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

/** The sources the build read (project-relative), from esbuild's metafile. */
function sourcesOf(metafile) {
  // Virtual modules (`<namespace>:<path>`) have no file to compare with.
  return Object.keys(metafile.inputs).filter(
    (input) => !input.includes('node_modules/') && !/^[\w-]+:/.test(input),
  );
}

/** Builds into a fresh folder and swaps it in, so a concurrent `kaizen` never sees half a build. */
export async function buildCli() {
  const { build } = await import('esbuild');
  const functions = join(ROOT, 'functions');
  const handlers = (await readdir(functions, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && entry.name !== 'runtime')
    .map((entry) => join('functions', entry.name, 'handler.ts'));
  const staging = `${OUT}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  const started = Date.now();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['bin/kaizen.ts', ...handlers.filter((entry) => existsSync(join(ROOT, entry)))],
    outbase: '.',
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // Packages are bundled (one file read instead of hundreds resolved at every start) except the local
    // servers, the engine and the build tools, which load files, native modules or workers of their own.
    external: LOADED_AT_RUN_TIME,
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as kaizenRequire } from 'node:module'; const require = kaizenRequire(import.meta.url);",
    },
    minify: true,
    sourcemap: 'linked',
    define: { KAIZEN_PREBUILT: 'true' },
    plugins: [plainHttp],
    metafile: true,
    logLevel: 'warning',
  });
  await writeFile(
    join(staging, MANIFEST),
    `${JSON.stringify({ builtAt: started, sources: sourcesOf(result.metafile) })}\n`,
  );
  await mkdir(join(ROOT, 'dist'), { recursive: true });
  await rm(OUT, { recursive: true, force: true });
  // Another process may have swapped in its build meanwhile: it was built from the same sources.
  await rename(staging, OUT).catch(() => rm(staging, { recursive: true, force: true }));
  return OUT;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildCli();
  console.log(`kaizen: built the CLI into ${relative(process.cwd(), OUT) || OUT}`);
}
