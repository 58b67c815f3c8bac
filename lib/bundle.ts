import { relative } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, buildSync } from 'esbuild';
import { PROJECT_ROOT } from './project.ts';

// ESM bundles cannot `require`; CJS dependencies bundled by esbuild still call it, so every chunk gets one.
const ESM_REQUIRE_BANNER =
  "import { createRequire as topLevelCreateRequire } from 'node:module';" +
  'const require = topLevelCreateRequire(import.meta.url);';

/** Settings of every function bundle. */
const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: ['@aws-sdk/*'],
  banner: { js: ESM_REQUIRE_BANNER },
  entryNames: 'index',
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
};

/** Builds one function's bundle into `outdir` (`index.mjs` and its chunks), as synthesis does. */
export function bundleFunction(entry: string, outdir: string): void {
  buildSync({ ...BUNDLE_OPTIONS, absWorkingDir: PROJECT_ROOT, entryPoints: [entry], outdir });
}

/**
 * A function's code: its handler bundled by esbuild (in-process, no Docker) into `index.mjs`, with code that
 * only some invocations need (a dataset format's parser) split into chunks loaded on first use, so the cold
 * start reads and compiles only what every invocation runs. The AWS SDK v3 comes from the runtime.
 */
export function bundledCode(entry: string): Code {
  return Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: the local bundler below either builds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
      // Part of the asset cache key, which ignores the local bundler: without it every function gets one bundle.
      command: ['esbuild', relative(PROJECT_ROOT, entry)],
      local: {
        tryBundle(outputDir: string): boolean {
          buildSync({
            ...BUNDLE_OPTIONS,
            absWorkingDir: PROJECT_ROOT,
            entryPoints: [entry],
            outdir: outputDir,
          });
          return true;
        },
      },
    },
  });
}
