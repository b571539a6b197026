// The UTF-8 size of a JS string without encoding it: `maxMessageBytes` is about bytes on the wire,
// and copying every message into wasm memory just to measure it was the SDK's main per-message
// cost in the throughput profile.
export function utf8Length(text) {
  // Most messages are ASCII, where bytes are UTF-16 units: one native scan instead of a JS loop.
  if (!/[^\0-\x7f]/.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4; // a surrogate pair: one code point beyond the BMP
        i += 1;
      } else bytes += 3; // a lone surrogate, sent as U+FFFD
    } else bytes += 3;
  }
  return bytes;
}

// An application message of a resumable session, wrapped with its sequence number by string
// concatenation: the message's JSON text is never parsed again or copied into wasm.
export function wrapSequenced(seq, text) {
  return '{"type":"msg","seq":' + seq + ',"data":' + text + '}';
}
