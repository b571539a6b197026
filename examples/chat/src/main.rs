//! A Leptos chat over secure-ws's Rust API: log in (the server sets an HttpOnly cookie), then a
//! typed, authenticated, self-healing socket joins `#general` and chats. Served by the test server
//! from the same origin (see README.md), so every URL below is relative to the page.

use futures_util::StreamExt;
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use secure_ws::rust_api::{Event, SecureWebSocket, State};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, Response};

const ROOM: &str = "general";

/// What the app sends: the test server's chat messages (tests/server/README.md).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToServer<'a> {
    JoinRoom { room: &'a str },
    SendMessage { room: &'a str, content: &'a str },
}

/// What the app reads; anything else the server may add is `Other`, not an error.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromServer {
    Joined {
        room: String,
    },
    Message {
        sender: String,
        content: String,
    },
    #[serde(other)]
    Other,
}

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let user = RwSignal::new(None::<String>);
    view! {
        <h1>"secure-ws · Leptos chat"</h1>
        <Show when=move || user.get().is_some() fallback=move || view! { <Login user /> }>
            <Chat user=user.get_untracked().unwrap_or_default() />
        </Show>
    }
}

/// The backend knows the user by the HttpOnly cookie this login sets; the SDK never sees it.
#[component]
fn Login(user: RwSignal<Option<String>>) -> impl IntoView {
    let name = RwSignal::new(String::from("alice"));
    let password = RwSignal::new(String::from("alice-pass"));
    let error = RwSignal::new(String::new());
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        spawn_local(async move {
            match login(&name.get_untracked(), &password.get_untracked()).await {
                Ok(()) => user.set(Some(name.get_untracked())),
                Err(why) => error.set(why),
            }
        });
    };
    view! {
        <form on:submit=submit>
            <input bind:value=name placeholder="user" />
            <input bind:value=password type="password" placeholder="password" />
            <button type="submit">"Log in"</button>
        </form>
        <p class="error">{move || error.get()}</p>
    }
}

async fn login(username: &str, password: &str) -> Result<(), String> {
    let body = login_body(username, password);
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(RequestCredentials::Include);
    init.set_body(&JsValue::from_str(&body));
    let headers = web_sys::Headers::new().map_err(|_| "no Headers")?;
    headers.set("content-type", "application/json").map_err(|_| "bad header")?;
    init.set_headers(&headers);
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str_and_init("/api/login", &init))
        .await
        .map_err(|_| "the server did not answer")?;
    match response.unchecked_into::<Response>().status() {
        200 => Ok(()),
        status => Err(format!("login refused (HTTP {status})")),
    }
}

/// The login body as JSON, through the browser's own `JSON.stringify` (no serde_json needed).
fn login_body(username: &str, password: &str) -> String {
    let body = js_sys::Object::new();
    // Data properties on a fresh plain object cannot fail to be set.
    let _ = js_sys::Reflect::set(&body, &"username".into(), &username.into());
    let _ = js_sys::Reflect::set(&body, &"password".into(), &password.into());
    js_sys::JSON::stringify(&body).map(String::from).unwrap_or_default()
}

#[component]
fn Chat(user: String) -> impl IntoView {
    let state = RwSignal::new(State::Connecting);
    let lines = RwSignal::new(Vec::<String>::new());
    let draft = RwSignal::new(String::new());
    let problem = RwSignal::new(String::new());

    let connected = SecureWebSocket::builder("/ws").token_url("/api/ws-token").connect::<FromServer>();
    let (ws, mut events) = match connected {
        Ok(session) => session,
        Err(error) => return view! { <p class="error">{error.to_string()}</p> }.into_any(),
    };
    // Queued until the server confirms the token: no need to wait for `ready()` first.
    let _ = ws.send(&ToServer::JoinRoom { room: ROOM });
    // Owned by this component: unmounting drops it, which closes the socket and ends `events`.
    let ws = StoredValue::new_local(ws);

    spawn_local(async move {
        while let Some(event) = events.next().await {
            // `try_` setters: the component may be gone while the last events drain.
            match event {
                Event::State(now) => drop(state.try_set(now)),
                Event::Message(FromServer::Joined { room }) => push(lines, format!("— joined #{room}")),
                Event::Message(FromServer::Message { sender, content }) => {
                    push(lines, format!("{sender}: {content}"))
                }
                // Rooms are per connection: re-join; it is queued ahead of anything sent meanwhile.
                Event::Close { will_reconnect: true, .. } => {
                    ws.try_with_value(|ws| ws.send(&ToServer::JoinRoom { room: ROOM }));
                }
                Event::Error(error) => drop(problem.try_set(error.to_string())),
                _ => {}
            }
        }
    });

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let content = draft.get_untracked();
        let sent = ws.with_value(|ws| ws.send(&ToServer::SendMessage { room: ROOM, content: &content }));
        match sent {
            Ok(()) => draft.set(String::new()),
            Err(error) => problem.set(error.to_string()),
        }
    };

    view! {
        <p class="state">{user} " · " {move || state.get().as_str()} " · #" {ROOM}</p>
        <ul>{move || lines.get().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
        <form on:submit=submit>
            <input bind:value=draft placeholder="say something" />
            <button type="submit">"Send"</button>
        </form>
        <p class="error">{move || problem.get()}</p>
    }
    .into_any()
}

fn push(lines: RwSignal<Vec<String>>, line: String) {
    lines.try_update(|lines| lines.push(line));
}
