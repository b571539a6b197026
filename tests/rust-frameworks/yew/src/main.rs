//! A Yew component that opens a `SecureWebSocket` on mount, shows the last message's type and
//! closes the socket on unmount (dropping it).

use futures_util::StreamExt;
use secure_ws::rust_api::{Event, SecureWebSocket};
use serde::Deserialize;
use yew::prelude::*;

#[derive(Debug, Deserialize)]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
}

#[function_component]
fn App() -> Html {
    let last = use_state(String::new);
    {
        let last = last.clone();
        use_effect_with((), move |_| {
            let (ws, mut events) = SecureWebSocket::builder("wss://api.example.com/ws")
                .token_url("/api/ws-token")
                .connect::<Incoming>()
                .expect("valid options");
            wasm_bindgen_futures::spawn_local(async move {
                while let Some(event) = events.next().await {
                    if let Event::Message(message) = event {
                        last.set(message.kind);
                    }
                }
            });
            move || drop(ws)
        });
    }
    html! { <p>{ (*last).clone() }</p> }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
