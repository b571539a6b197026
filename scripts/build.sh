#!/usr/bin/env bash
# Builds the npm package's generated half into pkg/ (the hand-written half is js/ and react/):
# - wasm-pack's bundler build, of which the package ships the glue (secure_ws_bg.js, snippets/) and
#   the typings, never its entry: that entry imports the .wasm file, which webpack refuses without
#   `experiments.asyncWebAssembly` and which makes Turbopack trace thousands of files server-side;
# - secure_ws_bytes.js: the same wasm (its import and export names shortened, the glue's references
#   to them too) as a JS string that gzip compresses about as well as the raw bytes, so that no
#   bundler has a wasm file or an asset URL to handle (README, "How the wasm is loaded"); and
#   secure_ws_wasm.js, the import object it is instantiated with.
# The hand-written package.json at the root is the manifest (--no-pack). `npm pack` runs this first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# The npm package is the JavaScript class and its allocator (feature `js`, off for Rust apps),
# without the Rust API (default feature `rust-api`): see Cargo.toml's [features].
features=(--no-default-features --features js)
npm_wasm_flags
wasm-pack build --release --target bundler --out-dir pkg --out-name secure_ws --no-pack -- "${features[@]}"
# The web build, with its explicit init(), is for bench/page only: the package does not ship it.
wasm-pack build --release --target web --out-dir pkg/web --out-name secure_ws --no-pack -- "${features[@]}"
# wasm-pack writes a `*` .gitignore into each output folder, which npm would honour and so drop
# pkg/ from the tarball. The root .gitignore already keeps pkg/ out of git.
rm -f pkg/.gitignore pkg/web/.gitignore
node scripts/inline-wasm.mjs pkg/secure_ws_bg.wasm pkg/secure_ws_wasm.js pkg/secure_ws_bytes.js
# js/share/ makes the class's errors and keeps its listeners and ready() promises with the class's
# own events.js (src/api/events.js), and reads a socket URL as its options.js does, through
# re-exports at stable paths: wasm-bindgen names the snippets' folder with a hash.
for module in events options; do
  snippet=(pkg/snippets/*/src/api/$module.js)
  [ ${#snippet[@]} = 1 ] && [ -f "${snippet[0]}" ] || { echo "build: expected one $module.js snippet" >&2; exit 1; }
  echo "export * from './${snippet[0]#pkg/}';" > "pkg/$module.js"
done
# The class itself (src/api/secure-web-socket.js) is a snippet too, beside the modules it imports:
# re-exported at a stable path in both builds (js/index.js and bench/page import it).
for dir in pkg pkg/web; do
  class=("$dir"/snippets/*/src/api/secure-web-socket.js)
  [ ${#class[@]} = 1 ] && [ -f "${class[0]}" ] || { echo "build: expected one secure-web-socket.js snippet in $dir" >&2; exit 1; }
  echo "export * from './${class[0]#"$dir"/}';" > "$dir/secure-web-socket.js"
done
