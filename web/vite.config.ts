import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The dashboard builds to web/dist; the local runtime serves it at `/`. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the same build works at `/` locally and under any prefix in AWS.
  base: './',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': 'http://127.0.0.1:4000' } },
});
