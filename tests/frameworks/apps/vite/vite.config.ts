import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm create vite`'s React config, untouched: nothing for secure-ws or WebAssembly.
export default defineConfig({ plugins: [react()] });
