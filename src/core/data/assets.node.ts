/** Node only: the prepared assets under the project's public/ folder. */
import { readFile } from 'node:fs/promises';
import { isAbsolute, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's public/ folder (found from this file, not the working directory). */
export const PUBLIC_DIR = fileURLToPath(new URL('../../../public/', import.meta.url));

/** Reads `path` (e.g. `data/mnist.bin`) under public/; a DataOptions.readAsset for Node. */
export async function readPublicAsset(path: string): Promise<Uint8Array> {
  const rel = normalize(path);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) throw new Error(`asset path "${path}" leaves public/`);
  const full = resolve(PUBLIC_DIR, rel);
  try {
    const bytes = await readFile(full);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`public/${path} is missing: it is generated on \`npm install\`; run \`npm run prepare\` to write it`);
    }
    throw error;
  }
}
