import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Nothing for WebAssembly: Vite 8 imports the package's bundler build as it is.
export default defineConfig({ plugins: [react()], build: { target: 'es2022' } });
