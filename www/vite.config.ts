import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Vite 8 imports the wasm-pack bundler build with no wasm plugin.
export default defineConfig({
  plugins: [react()],
  build: { target: 'es2022' },
});
