//! What the page and the network do, as far as the connection cares: `online`/`offline`,
//! visibility, and the page lifecycle (freeze/resume, the back/forward cache). Works in a worker
//! too, where there is no `document` and only the network events exist.

use gloo_events::EventListener;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::EventTarget;

use crate::core::PageEvent;

/// A change the core is told about.
pub(crate) enum Change {
    /// `online` (true) or `offline` (false).
    Network(bool),
    /// Visibility or lifecycle.
    Page(PageEvent),
}

/// What the browser says now: `navigator.onLine`, or online where it cannot say.
pub(crate) fn online() -> bool {
    let navigator = get(&js_sys::global(), "navigator");
    get(&navigator, "onLine").as_bool().unwrap_or(true)
}

/// The listeners, removed together when dropped.
pub(crate) struct PageListeners {
    _listeners: Vec<EventListener>,
}

impl PageListeners {
    /// Listens on the global object (and its `document`, when there is one) and reports each
    /// change that matters to `on_change`.
    pub(crate) fn attach(on_change: impl Fn(Change) + Clone + 'static) -> Self {
        let global: EventTarget = js_sys::global().unchecked_into();
        let document = get(&global, "document").dyn_into::<EventTarget>().ok();
        let mut listeners = Vec::with_capacity(7);
        let mut listen =
            |target: &EventTarget, name: &'static str, change: fn(&JsValue, &JsValue) -> Option<Change>| {
                let on_change = on_change.clone();
                let global = global.clone();
                listeners.push(EventListener::new(target, name, move |event| {
                    if let Some(change) = change(event.as_ref(), &global) {
                        on_change(change);
                    }
                }));
            };
        listen(&global, "online", |_, _| Some(Change::Network(true)));
        listen(&global, "offline", |_, _| Some(Change::Network(false)));
        // Only a page that goes into the back/forward cache (`persisted`) is suspended; one that
        // is unloading for good needs nothing.
        listen(&global, "pagehide", |event, _| persisted(event).then_some(Change::Page(PageEvent::Suspend)));
        listen(&global, "pageshow", |event, _| persisted(event).then_some(Change::Page(PageEvent::Resume)));
        if let Some(document) = &document {
            listen(document, "freeze", |_, _| Some(Change::Page(PageEvent::Suspend)));
            listen(document, "resume", |_, _| Some(Change::Page(PageEvent::Resume)));
            listen(document, "visibilitychange", |_, global| {
                let state = get(&get(global, "document"), "visibilityState");
                (state.as_string().as_deref() == Some("visible")).then_some(Change::Page(PageEvent::Visible))
            });
        }
        Self { _listeners: listeners }
    }
}

fn persisted(event: &JsValue) -> bool {
    get(event, "persisted").as_bool().unwrap_or(false)
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}
