import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The built editor is served by `weft serve` at `/`; the dev server forwards the API and
// the webhooks to a local `weft serve` on its default address.
const server = process.env.WEFT_DEV_SERVER ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  server: {
    proxy: {
      '/api': { target: server, changeOrigin: false },
      '/hooks': { target: server, changeOrigin: false },
      '/hooks-test': { target: server, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
