// Records every message any BroadcastChannel of this page posts, as JSON text, so the tests can
// read everything that crossed the channel (all tabs' posts together are all the traffic).
window.posted = [];
if (typeof BroadcastChannel === 'function') {
  const post = BroadcastChannel.prototype.postMessage;
  BroadcastChannel.prototype.postMessage = function (message) {
    window.posted.push(JSON.stringify(message));
    return post.call(this, message);
  };
}
