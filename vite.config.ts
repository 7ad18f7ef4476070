import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Cross-origin isolation: with these two headers the browser gives the page
 * (and its workers) SharedArrayBuffer, which TF.js's threaded WASM binary
 * needs to train on every core; without them WASM runs on one thread.
 * require-corp blocks cross-origin resources that do not opt in, and the app
 * loads none (scripts, workers, .wasm binaries and data are all its own; the
 * fonts are the system's). A static host must send the same headers:
 * docs/hosting.md.
 */
const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173, headers: CROSS_ORIGIN_ISOLATION },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
  // The training worker's dependencies, bundled up front: found only when the
  // worker first loads, they would otherwise make the dev server re-bundle and
  // reload the page in the middle of a run.
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-wasm',
      'idb-keyval',
      'uplot',
      'zod',
    ],
  },
  worker: { format: 'es' },
});
