/**
 * Packs what bench/gpu-check.sh needs on a machine that has a GPU but no
 * Node and no node_modules, into .gpu-check/ (ignored by git; carry it
 * there with public/data):
 *
 *   bundle/cli/gencomposer.mjs  the CLI in one file (vite's SSR build, every dependency inlined but `webgpu`)
 *   webgpu.tar.xz               the `webgpu` package with its linux-x64 Dawn only (gpu-check.sh unpacks it)
 *   node.xz                     this Node binary, compressed
 *   vulkan/                     Debian's libvulkan1, unpacked (apt-get download), when apt can fetch it
 *   bench/, python/, graph-presets/  what the CLI finds next to itself (paths relative to its module)
 *
 * Run: npm run bench:gpu-bundle. The whole stays under the 64 MiB a device
 * call carries.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

const OUT = '.gpu-check';
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    ssr: 'bin/gencomposer-node.ts',
    outDir: join(OUT, 'bundle/cli'),
    emptyOutDir: true,
    minify: false,
    target: 'node20',
    rollupOptions: { external: ['webgpu'], output: { entryFileNames: 'gencomposer.mjs', codeSplitting: false } },
  },
  ssr: { noExternal: true, external: ['webgpu'], target: 'node' },
});

// The CLI's modules find these from their own place (src/cli/*: two folders up).
for (const dir of ['bench', 'python', 'graph-presets']) cpSync(dir, join(OUT, dir), { recursive: true, filter: (path) => !path.includes('__pycache__') && !path.endsWith('.ts') });

// Dawn compressed: unpacked it is a third of what a device call carries.
execFileSync('tar', ['-cJf', join(OUT, 'webgpu.tar.xz'), 'node_modules/webgpu/package.json', 'node_modules/webgpu/index.js', 'node_modules/webgpu/dist/linux-x64']);

execFileSync('sh', ['-c', `xz -T0 -6 -c "${process.execPath}" > ${OUT}/node.xz`]);

try {
  const debs = join(OUT, 'debs');
  mkdirSync(debs);
  execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: debs, stdio: 'ignore' });
  for (const deb of readdirSync(debs)) execFileSync('dpkg-deb', ['-x', join(debs, deb), join(OUT, 'vulkan')]);
  rmSync(debs, { recursive: true });
} catch {
  console.warn('libvulkan1 could not be fetched with apt-get download: gpu-check.sh then needs it on the machine');
}

const size = (path: string): number => (statSync(path).isDirectory() ? readdirSync(path).reduce((sum, name) => sum + size(join(path, name)), 0) : statSync(path).size);
const mib = (size(OUT) + (existsSync('public/data') ? size('public/data') : 0)) / 2 ** 20;
writeFileSync(join(OUT, 'README'), 'Made by npm run bench:gpu-bundle for bench/gpu-check.sh.\n');
console.log(`${OUT}/ written; with public/data ${mib.toFixed(1)} MiB to carry (at most 64)`);
