//! What the page and the network do, as far as the connection cares: `online`/`offline`,
//! visibility, and the page lifecycle (freeze/resume, the back/forward cache). Works in a worker
//! too, where there is no `document` and only the network events exist (io.js's `watchPage`).

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::socket::Handler;
use crate::core::PageEvent;

#[wasm_bindgen(module = "/src/browser/io.js")]
extern "C" {
    /// What the browser says now: `navigator.onLine`, or online where it cannot say.
    pub(crate) fn online() -> bool;
    #[wasm_bindgen(js_name = watchPage)]
    fn watch_page(handler: &Handler) -> Function;
}

/// A change the core is told about.
pub(crate) enum Change {
    /// `online` (true) or `offline` (false).
    Network(bool),
    /// Visibility or lifecycle.
    Page(PageEvent),
}

/// The listeners, removed together when dropped.
pub(crate) struct PageListeners {
    remove: Function,
    _handler: Handler,
}

impl PageListeners {
    /// Listens on the global object (and its `document`, when there is one) and reports each
    /// change that matters to `on_change`.
    pub(crate) fn attach(on_change: impl Fn(Change) + 'static) -> Self {
        let handler = Handler::new(move |change: u32, _: JsValue, _: f64| {
            on_change(match change {
                0 => Change::Network(true),
                1 => Change::Network(false),
                2 => Change::Page(PageEvent::Suspend),
                3 => Change::Page(PageEvent::Resume),
                _ => Change::Page(PageEvent::Visible),
            });
            0
        });
        Self { remove: watch_page(&handler), _handler: handler }
    }
}

impl Drop for PageListeners {
    fn drop(&mut self) {
        let _ = self.remove.call0(&JsValue::UNDEFINED);
    }
}
