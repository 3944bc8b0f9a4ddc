import path from 'node:path';
import fs from 'node:fs';

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

/** The repository root, whether running from sources (jest) or from dist/. */
export const projectRoot = findRoot(__dirname);

export const fromRoot = (...parts: string[]): string => path.join(projectRoot, ...parts);
