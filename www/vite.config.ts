import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Vite 8 imports the wasm-pack bundler build with no wasm plugin. `secure-ws` is linked here
// (`file:..`), so its React hook must resolve React from this app, not from the linked folder.
export default defineConfig({
  plugins: [react()],
  resolve: { dedupe: ['react', 'react-dom'] },
  build: { target: 'es2022' },
});
