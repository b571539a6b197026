// `vite` (the dev server) as the tests run it: the app's same-origin `/api` and `/ws` go to the test
// server (SECURE_WS_TEST_SERVER), as an app's dev proxy sends them to its backend. Nothing for
// secure-ws or WebAssembly: the rest is vite.config.ts, untouched.
import { defineConfig, mergeConfig } from 'vite';
import base from './vite.config';

const target = process.env.SECURE_WS_TEST_SERVER;
export default mergeConfig(base, defineConfig({ server: { proxy: { '/api': target, '/ws': { target, ws: true } } } }));
