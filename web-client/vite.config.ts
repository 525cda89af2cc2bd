/// <reference types="vitest/config" />
// Builds the web client into dist/ (toex serves it at /); GraphiQL's assets are copied
// into dist/graphiql afterwards by scripts/vendor-graphiql.mjs.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const toex = process.env.TOEX_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
  // `npm run dev` against a running toex.
  server: {
    proxy: {
      '/graphql': { target: toex, ws: true },
      '/media': toex,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
