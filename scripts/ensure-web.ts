/**
 * Builds the web UI (web/dist) when it is missing, so `npm start` and `npm test` on a fresh clone serve and test the
 * same UI without a separate build step. An existing build is left alone (`npm run build:web` rebuilds it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('web/dist/index.html')) {
  const build = spawnSync('npm', ['run', 'build:web'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
