// Writes statemachines/*.asl.json from the builder in statemachines/src/ (`npm run asl`), formatted as the
// linter formats JSON; test/statemachines/builder.test.ts fails while a committed file differs.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { projectPath } from '#lib/project.ts';
import { DEFINITIONS } from '../statemachines/src/index.ts';

const written = Object.entries(DEFINITIONS).map(([file, definition]) => {
  writeFileSync(projectPath(file), `${JSON.stringify(definition, null, 2)}\n`);
  return projectPath(file);
});
execFileSync(projectPath('node_modules/.bin/biome'), ['format', '--write', ...written], { stdio: 'inherit' });
console.log(`wrote ${written.length} definitions`);
