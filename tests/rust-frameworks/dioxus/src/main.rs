//! A Dioxus component that opens a `SecureWebSocket` once, shows the last message's type, and
//! closes the socket when its task ends with the component (dropping it).

use dioxus::prelude::*;
use futures_util::StreamExt;
use secure_ws::rust_api::{Event, SecureWebSocket};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
}

fn app() -> Element {
    let mut last = use_signal(String::new);
    use_hook(move || {
        let (ws, mut events) = SecureWebSocket::builder("wss://api.example.com/ws")
            .token_url("/api/ws-token")
            .connect::<Incoming>()
            .expect("valid options");
        spawn(async move {
            let _open_while_this_runs = ws;
            while let Some(event) = events.next().await {
                if let Event::Message(message) = event {
                    last.set(message.kind);
                }
            }
        });
    });
    rsx! { p { "{last}" } }
}

fn main() {
    dioxus::launch(app);
}
