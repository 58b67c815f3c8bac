import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_ROWS, openApiDocument } from '#domain/api.ts';
import { ROOT } from '../../support/loop.ts';

describe('the OpenAPI document', () => {
  const committed = JSON.parse(readFileSync(join(ROOT, 'schemas/openapi.json'), 'utf8'));

  it('is committed as the zod schemas generate it (npm run openapi)', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(openApiDocument(version))));
  });

  it('describes both routes, the batch limit, SigV4 and the observation rows of kaizen ingest', () => {
    expect(Object.keys(committed.paths)).toEqual(['/observations', '/models/{id}/status']);
    const post = committed.paths['/observations'].post;
    expect(Object.keys(post.responses)).toEqual(['201', '207', '400', '403', '413', '415', '422', '429']);
    expect(post.requestBody.content['application/json'].schema.properties.observations).toMatchObject({
      maxItems: MAX_BATCH_ROWS,
      items: { $ref: '#/components/schemas/Observation' },
    });
    expect(committed.components.securitySchemes.sigv4['x-amazon-apigateway-authtype']).toBe('awsSigv4');
    const kinds = committed.components.schemas.Observation.oneOf.map(
      (s: { properties: { type: { const?: string; enum?: string[] } } }) =>
        s.properties.type.enum?.[0] ?? s.properties.type.const,
    );
    expect(kinds).toEqual(['kpi', 'drift']);
  });
});
