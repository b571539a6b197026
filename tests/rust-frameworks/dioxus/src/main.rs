//! A Dioxus echo over secure-ws's Rust API: log in (the server sets an HttpOnly cookie), then a
//! typed, authenticated, self-healing socket sends what is typed and shows what the server echoes.
//! Signals hold what the page shows; the component that owns the socket opens it once (`use_hook`)
//! and reads its events in a task of its own (`spawn`): unmounting it cancels the task and drops
//! the session, which closes the socket. Served by the test server from the same origin, so every
//! URL below is relative to the page.

use dioxus::prelude::*;
use futures_util::StreamExt;
use secure_ws::rust_api::{Event, SecureWebSocket, Sender, State};
use serde::{Deserialize, Serialize};

/// What the app sends: the test server answers an `echo` with the same frame.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToServer<'a> {
    Echo { text: &'a str },
}

/// What the app reads; anything else the server may send is `Other`, not an error.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromServer {
    Echo {
        text: String,
    },
    #[serde(other)]
    Other,
}

fn main() {
    dioxus::launch(App);
}

#[component]
fn App() -> Element {
    let mut user = use_signal(|| None::<String>);
    rsx! {
        h1 { "secure-ws · Dioxus echo" }
        if let Some(name) = user() {
            Echo { user: name, on_leave: move |()| user.set(None) }
        } else {
            Login { on_login: move |name| user.set(Some(name)) }
        }
    }
}

/// The backend knows the user by the HttpOnly cookie this login sets; the SDK never sees it.
#[component]
fn Login(on_login: EventHandler<String>) -> Element {
    let mut name = use_signal(|| String::from("alice"));
    let mut password = use_signal(|| String::from("alice-pass"));
    let mut error = use_signal(String::new);
    let submit = move |event: FormEvent| {
        event.prevent_default();
        let (name, password) = (name(), password());
        spawn(async move {
            match login(&name, &password).await {
                Ok(()) => on_login.call(name),
                Err(why) => error.set(why),
            }
        });
    };
    rsx! {
        form { onsubmit: submit,
            input { value: "{name}", oninput: move |e| name.set(e.value()), placeholder: "user" }
            input {
                r#type: "password",
                value: "{password}",
                oninput: move |e| password.set(e.value()),
                placeholder: "password",
            }
            button { r#type: "submit", "Log in" }
        }
        p { class: "error", "{error}" }
    }
}

async fn login(username: &str, password: &str) -> Result<(), String> {
    #[derive(Serialize)]
    struct Credentials<'a> {
        username: &'a str,
        password: &'a str,
    }
    let response = gloo_net::http::Request::post("/api/login")
        .json(&Credentials { username, password })
        .map_err(|error| error.to_string())?
        .send()
        .await
        .map_err(|_| "the server did not answer")?;
    match response.status() {
        200 => Ok(()),
        status => Err(format!("login refused (HTTP {status})")),
    }
}

#[component]
fn Echo(user: String, on_leave: EventHandler) -> Element {
    let mut state = use_signal(|| State::Connecting);
    let mut connections = use_signal(|| 0_u32);
    let mut lines = use_signal(Vec::<String>::new);
    let mut problem = use_signal(String::new);

    // Connects once, on mount. The task that reads the events owns the session: unmounting
    // cancels the component's tasks, which drops the session and closes the socket. What the
    // component keeps is a `Sender`, which sends without keeping the session alive. (This app is
    // web only: a fullstack app renders on the server too, where `use_hook` runs and the SDK
    // refuses to start; there, connect in `use_effect`, which runs only in the browser.)
    let sender = use_hook(|| {
        let (ws, mut events) = SecureWebSocket::builder("/ws")
            .token_url("/api/ws-token")
            .connect::<FromServer>()
            .map_err(|error| error.to_string())?;
        let sender = ws.sender();
        spawn(async move {
            let _session = ws;
            while let Some(event) = events.next().await {
                match event {
                    Event::State(now) => state.set(now),
                    Event::Authenticated { resumed, .. } => {
                        connections += 1;
                        lines.push(match (connections(), resumed) {
                            (1, _) => "— connected".into(),
                            (_, true) => "— reconnected (session resumed)".into(),
                            (_, false) => "— reconnected (new session)".into(),
                        });
                    }
                    Event::Message(FromServer::Echo { text }) => lines.push(format!("echo: {text}")),
                    Event::Close { code, will_reconnect: true, .. } => {
                        lines.push(format!("— connection lost ({code}), reconnecting"))
                    }
                    Event::Error(error) => problem.set(error.to_string()),
                    _ => {}
                }
            }
        });
        Ok::<_, String>(sender)
    });

    let status = format!("{user} · {state}");
    let failed = sender.as_ref().err().cloned().unwrap_or_default();
    rsx! {
        p { class: "state", "{status}" }
        ul {
            for line in lines.iter() {
                li { "{line}" }
            }
        }
        if let Ok(sender) = &sender {
            Composer { sender: sender.clone(), problem }
        }
        p { class: "error", "{failed}{problem}" }
        button { onclick: move |_| on_leave.call(()), "Leave" }
    }
}

/// The message form, a component of its own: it needs a `Sender` (props compare by session), not
/// the session.
#[component]
fn Composer(sender: Sender, problem: Signal<String>) -> Element {
    let (mut draft, mut problem) = (use_signal(String::new), problem);
    let send = move |event: FormEvent| {
        event.prevent_default();
        // Queued while reconnecting, sent once authenticated again.
        match sender.send(&ToServer::Echo { text: &draft() }) {
            Ok(()) => draft.set(String::new()),
            Err(error) => problem.set(error.to_string()),
        }
    };
    rsx! {
        form { onsubmit: send,
            input { value: "{draft}", oninput: move |e| draft.set(e.value()), placeholder: "say something" }
            button { r#type: "submit", "Send" }
        }
    }
}
