//! A Yew chat over secure-ws's Rust API: log in (the server sets an HttpOnly cookie), then a typed,
//! authenticated, self-healing socket joins `#general` and chats. Function components and hooks:
//! the socket is opened by an effect on mount and dropped by its cleanup on unmount (which closes
//! it); its events go through a reducer into the DOM. Served by the test server from the same
//! origin, so every URL below is relative to the page.

use std::rc::Rc;

use futures_util::StreamExt;
use secure_ws::rust_api::{Event, SecureWebSocket, State};
use serde::{Deserialize, Serialize};
use web_sys::HtmlInputElement;
use yew::{platform::spawn_local, prelude::*};

const ROOM: &str = "general";

/// What the app sends: the test server's chat messages (tests/server/README.md).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToServer<'a> {
    JoinRoom { room: &'a str },
    SendMessage { room: &'a str, content: &'a str },
}

/// What the app reads; anything else the server may add is `Other`, not an error.
#[derive(Debug, Deserialize)]
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
    yew::Renderer::<App>::new().render();
}

#[function_component]
fn App() -> Html {
    let user = use_state(|| None::<AttrValue>);
    let on_login = {
        let user = user.clone();
        Callback::from(move |name| user.set(Some(name)))
    };
    let on_leave = {
        let user = user.clone();
        Callback::from(move |()| user.set(None))
    };
    html! {
        <>
            <h1>{ "secure-ws · Yew chat" }</h1>
            if let Some(user) = (*user).clone() {
                <Chat {user} {on_leave} />
            } else {
                <Login {on_login} />
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct LoginProps {
    on_login: Callback<AttrValue>,
}

/// The backend knows the user by the HttpOnly cookie this login sets; the SDK never sees it.
#[function_component]
fn Login(props: &LoginProps) -> Html {
    let name = use_state(|| String::from("alice"));
    let password = use_state(|| String::from("alice-pass"));
    let error = use_state(String::new);
    let onsubmit = {
        let (name, password, error, on_login) =
            (name.clone(), password.clone(), error.clone(), props.on_login.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (name, password, error, on_login) =
                ((*name).clone(), (*password).clone(), error.clone(), on_login.clone());
            spawn_local(async move {
                match login(&name, &password).await {
                    Ok(()) => on_login.emit(name.into()),
                    Err(why) => error.set(why),
                }
            });
        })
    };
    html! {
        <>
            <form {onsubmit}>
                <input value={(*name).clone()} oninput={bind(&name)} placeholder="user" />
                <input value={(*password).clone()} oninput={bind(&password)} type="password" placeholder="password" />
                <button type="submit">{ "Log in" }</button>
            </form>
            <p class="error">{ (*error).clone() }</p>
        </>
    }
}

/// A text input's `oninput` that keeps `state` equal to what is typed.
fn bind(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |event: InputEvent| {
        state.set(event.target_unchecked_into::<HtmlInputElement>().value())
    })
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

/// What the chat shows, made from the session's events (the reducer's actions).
#[derive(Clone, PartialEq)]
struct View {
    state: State,
    connections: u32,
    lines: Vec<String>,
    problem: String,
}

impl Reducible for View {
    type Action = Event<FromServer>;

    fn reduce(self: Rc<Self>, event: Event<FromServer>) -> Rc<Self> {
        let mut view = Rc::unwrap_or_clone(self);
        match event {
            Event::State(state) => view.state = state,
            Event::Authenticated { resumed, .. } => {
                view.connections += 1;
                view.lines.push(match (view.connections, resumed) {
                    (1, _) => "— connected".into(),
                    (_, true) => "— reconnected (session resumed)".into(),
                    (_, false) => "— reconnected (new session)".into(),
                });
            }
            Event::Message(FromServer::Joined { room }) => view.lines.push(format!("— joined #{room}")),
            Event::Message(FromServer::Message { sender, content }) => {
                view.lines.push(format!("{sender}: {content}"))
            }
            Event::Close { code, will_reconnect: true, .. } => {
                view.lines.push(format!("— connection lost ({code}), reconnecting"))
            }
            Event::Error(error) => view.problem = error.to_string(),
            _ => {}
        }
        view.into()
    }
}

#[derive(Properties, PartialEq)]
struct ChatProps {
    user: AttrValue,
    on_leave: Callback<()>,
}

#[function_component]
fn Chat(props: &ChatProps) -> Html {
    let view = use_reducer(|| View {
        state: State::Connecting,
        connections: 0,
        lines: Vec::new(),
        problem: String::new(),
    });
    // The socket, for the send handler; the effect below owns its lifetime.
    let socket = use_mut_ref(|| None::<SecureWebSocket>);
    let draft = use_state(String::new);

    {
        let (socket, events_to) = (socket.clone(), view.dispatcher());
        use_effect_with((), move |()| {
            // `subscriptions`: the join is sent on every connection that starts a new server
            // session, ahead of anything queued (a resumed session keeps its rooms).
            let connected = SecureWebSocket::builder("/ws")
                .token_url("/api/ws-token")
                .subscriptions(|| vec![ToServer::JoinRoom { room: ROOM }])
                .connect::<FromServer>();
            match connected {
                Ok((ws, mut events)) => {
                    *socket.borrow_mut() = Some(ws);
                    // Ends when the socket is dropped (below): no task outlives the component.
                    spawn_local(async move {
                        while let Some(event) = events.next().await {
                            events_to.dispatch(event);
                        }
                    });
                }
                Err(error) => events_to.dispatch(Event::Error(error)),
            }
            // Unmount: dropping the session closes the socket and ends its event stream.
            move || drop(socket.borrow_mut().take())
        });
    }

    let onsubmit = {
        let (socket, draft, events_to) = (socket.clone(), draft.clone(), view.dispatcher());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(ws) = &*socket.borrow() else { return };
            // Queued while reconnecting, sent once authenticated again.
            match ws.send(&ToServer::SendMessage { room: ROOM, content: &draft }) {
                Ok(()) => draft.set(String::new()),
                Err(error) => events_to.dispatch(Event::Error(error)),
            }
        })
    };

    html! {
        <>
            <p class="state">{ format!("{} · {} · #{ROOM}", props.user, view.state.as_str()) }</p>
            <ul>{ for view.lines.iter().map(|line| html! { <li>{ line }</li> }) }</ul>
            <form {onsubmit}>
                <input value={(*draft).clone()} oninput={bind(&draft)} placeholder="say something" />
                <button type="submit">{ "Send" }</button>
            </form>
            <p class="error">{ view.problem.clone() }</p>
            <button onclick={props.on_leave.reform(|_| ())}>{ "Leave" }</button>
        </>
    }
}
