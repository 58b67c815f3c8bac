import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#lib/project.ts';

/** Every TypeScript source file under `dir` (relative to the project root). */
function sources(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

/** The module specifiers a file imports (static, dynamic and re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1] as string);
}

/** `[file, specifier]` pairs of `dir` whose specifier matches `forbidden`. */
function violations(dir: string, forbidden: RegExp): [string, string][] {
  return sources(dir).flatMap((file) =>
    importsOf(file)
      .filter((specifier) => forbidden.test(specifier))
      .map((specifier): [string, string] => [file, specifier]),
  );
}

describe('layers: what each part may import', () => {
  it('contracts import nothing of the project but contracts, and no AWS SDK', () => {
    expect(violations('functions/contracts', /^(#(?!contracts\/)|@aws-sdk|\.\.\/)/)).toEqual([]);
  });

  it('the domain is pure: no AWS SDK, runtime, stores or steps', () => {
    expect(
      violations(
        'functions/domain',
        /^(@aws-sdk|@aws-lambda-powertools|@middy|#runtime|#stores|#local|#lib|\.\.\/\.\.)/,
      ),
    ).toEqual([]);
  });

  it('stores use only contracts, the domain and the runtime context', () => {
    expect(violations('functions/stores', /^(#local|#lib|\.\.\/)/)).toEqual([]);
  });

  it('infrastructure imports only contracts and the pure domain of functions/', () => {
    expect(violations('lib', /^(@aws-sdk|#runtime|#stores|#local|\.\.\/)/)).toEqual([]);
  });

  it('bundling the CDK stack pulls in no AWS SDK module and no runtime code', async () => {
    const result = await build({
      entryPoints: [join(PROJECT_ROOT, 'lib/kaizen-stack.ts')],
      absWorkingDir: PROJECT_ROOT,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'],
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('lib/kaizen-stack.ts');
    expect(inputs.filter((input) => input.includes('@aws-sdk/'))).toEqual([]);
    const functions = inputs.filter((input) => input.startsWith('functions/'));
    expect(functions.length).toBeGreaterThan(0);
    expect(functions.filter((input) => !/^functions\/(contracts|domain)\//.test(input))).toEqual([]);
  });
});

describe('explicit context instead of global state', () => {
  const WRITE =
    /process\.env(\.\w+|\[[^\]]+\])\s*(=(?!=)|\?\?=)|delete\s+process\.env|Object\.assign\(\s*process\.env|process\.env\s*=/;

  it.each(['functions', 'cli', 'lib'])('nothing in %s/ writes process.env', (dir) => {
    const writers = sources(dir).filter((file) => WRITE.test(readFileSync(join(PROJECT_ROOT, file), 'utf8')));
    expect(writers).toEqual([]);
  });

  it('in functions/, only the runtime context reads the environment', () => {
    const readers = sources('functions').filter((file) =>
      readFileSync(join(PROJECT_ROOT, file), 'utf8').includes('process.env'),
    );
    expect(readers.map((file) => relative('functions', file))).toEqual(['runtime/context.ts']);
  });

  it('the pattern catches the writes it is meant to catch', () => {
    for (const text of [
      'process.env.X = "1"',
      "process.env['X'] = y",
      'delete process.env.X',
      'process.env.X ??= y',
    ])
      expect(WRITE.test(text)).toBe(true);
    for (const text of ['process.env.X === "1"', 'const x = process.env.X'])
      expect(WRITE.test(text)).toBe(false);
  });
});
