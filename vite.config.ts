import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173 },
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
