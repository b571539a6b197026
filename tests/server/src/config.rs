//! Server configuration from flags and environment, with every value checked.

use std::{collections::HashMap, path::PathBuf, time::Duration};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Port on 127.0.0.1; 0 picks a free one (printed as `listening on 127.0.0.1:PORT`).
    pub port: u16,
    /// HS256 secret for WebSocket tokens; at least 32 bytes.
    pub jwt_secret: Vec<u8>,
    /// Origins allowed to fetch tokens and open sockets (exact match). The server's own origin
    /// is always added.
    pub allowed_origins: Vec<String>,
    /// user name → password.
    pub users: HashMap<String, String>,
    /// Token lifetime in seconds.
    pub token_lifetime_secs: u64,
    /// How long a new connection has to authenticate (`AUTH_TIMEOUT_MS`, default 5000).
    pub auth_deadline: Duration,
    /// Checked limits of the WebSocket endpoint.
    pub limits: Limits,
    /// Keep every log line in memory too, so tests can check what the log holds.
    pub capture_log: bool,
    /// Write log lines to stderr (on by default; the fuzz tests turn it off).
    pub log_to_stderr: bool,
    /// Enables `/test/*` fault controls. Off unless asked for.
    pub test_controls: bool,
    /// The secret every `/test/*` request must carry in `x-test-controls`
    /// (`TEST_CONTROLS_SECRET`, required with `--test-controls`). Without it the routes answer 404.
    pub test_controls_secret: Option<String>,
    /// Mounts `POST /api/demo/fault` (`--demo-faults`): faults a logged-in user may inject on
    /// their own connections only, for the demo.
    pub demo_faults: bool,
    /// Limits of the HTTP side.
    pub http: HttpLimits,
    /// Resumable sessions.
    pub resume: ResumeConfig,
    /// Serves this directory at `/` (the built demo).
    pub static_dir: Option<PathBuf>,
    /// Serve https/wss (`--tls`), with a certificate generated at start or read from files
    /// (`--tls-cert FILE --tls-key FILE`).
    pub tls: Option<Tls>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            port: 0,
            jwt_secret: random_secret(),
            allowed_origins: Vec::new(),
            users: [("alice", "alice-pass"), ("bob", "bob-pass")]
                .into_iter()
                .map(|(u, p)| (u.to_owned(), p.to_owned()))
                .collect(),
            token_lifetime_secs: 60,
            auth_deadline: Duration::from_secs(5),
            limits: Limits::default(),
            capture_log: false,
            log_to_stderr: true,
            test_controls: false,
            test_controls_secret: None,
            demo_faults: false,
            http: HttpLimits::default(),
            resume: ResumeConfig::default(),
            static_dir: None,
            tls: None,
        }
    }
}

/// Where the TLS certificate comes from.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// PEM certificate chain and private key; `None` generates a self-signed certificate for
    /// 127.0.0.1 and localhost at start.
    pub files: Option<(PathBuf, PathBuf)>,
}

/// Limits of the WebSocket endpoint, each settable from the environment.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Live connections from one IP address (`MAX_CONNECTIONS_PER_IP`, default 10); more → 4007.
    pub connections_per_ip: usize,
    /// Live connections of one user (`MAX_CONNECTIONS_PER_USER`, default 5); more → 4007.
    pub connections_per_user: usize,
    /// Frames a connection may send per minute (`RATE_LIMIT_PER_MINUTE`, default 60); more → 4008.
    pub messages_per_minute: u32,
    /// Largest frame in bytes (`MAX_MESSAGE_BYTES`, default 10240); larger → 4009.
    pub max_message_bytes: usize,
    /// Time between protocol pings (`PING_INTERVAL_MS`, default 30000). A connection that has not
    /// answered the previous ping when the next is due is terminated.
    pub ping_interval: Duration,
    /// Control frames (`ping`, `ack`, `reauth`, `auth`) a connection may send per minute
    /// (`CONTROL_FRAMES_PER_MINUTE`, default 600); more → 4008. Apart from the application limit,
    /// so that acknowledgements and liveness checks never eat into what the app may send.
    pub control_frames_per_minute: u32,
    /// Frames waiting to be written to one connection (`OUTGOING_QUEUE`, default 256). A peer
    /// that falls further behind is closed 4013 (too slow) instead of growing server memory.
    pub outgoing_queue: usize,
    /// How long one frame may take to be written (`WRITE_TIMEOUT_MS`, default 10000); longer → the
    /// connection is dropped as dead. Any connection, HTTP included, whose write waits this long
    /// without progress is dropped too (`serve::TrackedStream`).
    pub write_timeout: Duration,
    /// After sending a Close frame, how long the server keeps reading for the peer's Close before
    /// dropping the connection (`CLOSE_TIMEOUT_MS`, default 2000; RFC 6455 closing handshake).
    pub close_timeout: Duration,
    /// A socket whose token expired this long ago without a successful `reauth` is closed 4003
    /// (`TOKEN_EXPIRY_GRACE_MS`, default 5000).
    pub token_expiry_grace: Duration,
    /// Rooms one client (a connection, or its resumable session) may be in at once
    /// (`MAX_ROOMS_PER_CLIENT`, default 100); joining one more is refused (`too_many_rooms`).
    pub rooms_per_client: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connections_per_ip: 10,
            connections_per_user: 5,
            messages_per_minute: 60,
            max_message_bytes: 10 * 1024,
            ping_interval: Duration::from_secs(30),
            control_frames_per_minute: 600,
            outgoing_queue: 256,
            write_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(2),
            token_expiry_grace: Duration::from_secs(5),
            rooms_per_client: 100,
        }
    }
}

/// Limits of the HTTP side, each settable from the environment.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// A client must send its complete request head within this (`HEADER_READ_TIMEOUT_MS`,
    /// default 10000), and its body within this after the head (408): slowloris clients cannot
    /// hold connections open.
    pub header_read_timeout: Duration,
    /// Largest request head in bytes (`MAX_HEADER_BYTES`, default 16384, at least 8192); larger → 431.
    pub max_header_bytes: usize,
    /// Largest request body in bytes (`MAX_BODY_BYTES`, default 16384); larger → 413.
    pub max_body_bytes: usize,
    /// Open TCP connections, all clients together (`MAX_CONNECTIONS`, default 16384). Beyond it a
    /// new connection is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Failed logins for one user name within `login_window` before 429 (`LOGIN_MAX_FAILURES_PER_USER`,
    /// default 5).
    pub login_failures_per_user: u32,
    /// Failed logins from one address within `login_window` before 429
    /// (`LOGIN_MAX_FAILURES_PER_IP`, default 20).
    pub login_failures_per_ip: u32,
    /// The login throttle's window (`LOGIN_WINDOW_SECS`, default 60): failures older than this are
    /// forgotten; `Retry-After` says when the window ends.
    pub login_window: Duration,
    /// How long a login session (the cookie) lasts (`SESSION_TTL_SECS`, default 3600).
    pub session_ttl: Duration,
    /// Live login sessions one user may hold (`MAX_LOGIN_SESSIONS_PER_USER`, default 64): a login
    /// beyond it ends that user's oldest session, as if it had expired. Without a bound, a user
    /// who logs in in a loop holds a session per login for `SESSION_TTL_SECS`: memory without end.
    pub max_login_sessions_per_user: usize,
    /// WebSocket tokens one user may mint per minute (`TOKENS_PER_MINUTE`, default 60, burst as
    /// many): more → 429 with `Retry-After`. Every connection needs a token, so this bounds how
    /// fast a user can reconnect.
    pub tokens_per_minute: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_body_bytes: 16 * 1024,
            max_connections: 16 * 1024,
            login_failures_per_user: 5,
            login_failures_per_ip: 20,
            login_window: Duration::from_secs(60),
            session_ttl: Duration::from_secs(3600),
            max_login_sessions_per_user: 64,
            tokens_per_minute: 60,
        }
    }
}

/// Resumable sessions (PROTOCOL.md, "Resumable sessions and advertised limits").
#[derive(Debug, Clone, Copy)]
pub struct ResumeConfig {
    /// How long a detached session (and a sent message) is kept for a resume (`RESUME_WINDOW_MS`,
    /// default 120000).
    pub window: Duration,
    /// Unacknowledged messages kept per session (`RESUME_BUFFER`, default 1000): older ones are
    /// dropped, and a resume that needs them gets `resumed: false`.
    pub buffer: usize,
    /// The same bound in bytes (`RESUME_BUFFER_BYTES`, default 1048576). A session that would
    /// have to drop a message it has not yet written to its client is lost (see
    /// [`crate::session_resume`]).
    pub buffer_bytes: usize,
    /// Detached sessions one user may hold (`MAX_DETACHED_SESSIONS_PER_USER`, default 16): one
    /// more detached evicts that user's oldest, whose resume then answers `resumed: false`.
    pub detached_per_user: usize,
    /// Whether `resume` offers are taken up (`RESUMABLE_SESSIONS`, default 1). With 0 the server
    /// plays one that predates them: an offer is ignored, so the client's sends are at most once.
    pub enabled: bool,
}

impl Default for ResumeConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(120),
            buffer: 1000,
            buffer_bytes: 1024 * 1024,
            detached_per_user: 16,
            enabled: true,
        }
    }
}

/// The shortest test-controls secret accepted.
pub const MIN_CONTROLS_SECRET_BYTES: usize = 16;

/// The shortest secret HS256 is given: shorter ones are guessable offline from one token.
pub const MIN_SECRET_BYTES: usize = 32;

fn random_secret() -> Vec<u8> {
    // Two v4 UUIDs are 244 random bits from the OS generator.
    let mut secret = uuid::Uuid::new_v4().as_bytes().to_vec();
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    secret
}

impl ServerConfig {
    /// Reads `--port N`, `--test-controls`, `--static DIR` and the environment variables
    /// `JWT_SECRET`, `ALLOWED_ORIGINS` (comma-separated) and `USERS` (`name:pass,name:pass`).
    pub fn from_args_and_env(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut config = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--port" => {
                    let value = args.next().ok_or("--port needs a value")?;
                    config.port = value.parse().map_err(|_| format!("--port: '{value}' is not a port"))?;
                }
                "--test-controls" => config.test_controls = true,
                "--demo-faults" => config.demo_faults = true,
                "--static" => {
                    config.static_dir = Some(args.next().ok_or("--static needs a directory")?.into())
                }
                "--tls" => {
                    config.tls.get_or_insert_with(Tls::default);
                }
                "--tls-cert" | "--tls-key" => {
                    let path: PathBuf = args.next().ok_or(format!("{arg} needs a file"))?.into();
                    let tls = config.tls.get_or_insert_with(Tls::default);
                    let (cert, key) = tls.files.get_or_insert_with(Default::default);
                    if arg == "--tls-cert" {
                        *cert = path;
                    } else {
                        *key = path;
                    }
                }
                other => return Err(format!("unknown argument '{other}'")),
            }
        }
        if let Some((cert, key)) = config.tls.as_ref().and_then(|t| t.files.as_ref()) {
            if cert.as_os_str().is_empty() || key.as_os_str().is_empty() {
                return Err("--tls-cert and --tls-key go together".into());
            }
        }
        if let Some(secret) = env("JWT_SECRET") {
            if secret.len() < MIN_SECRET_BYTES {
                return Err(format!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"));
            }
            config.jwt_secret = secret.into_bytes();
        }
        if let Some(origins) = env("ALLOWED_ORIGINS") {
            config.allowed_origins =
                origins.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
        }
        let number = |name: &str| -> Result<Option<u64>, String> {
            env(name)
                .map(|v| v.parse::<u64>().map_err(|_| format!("{name}: '{v}' is not a whole number")))
                .transpose()
        };
        if let Some(ms) = number("AUTH_TIMEOUT_MS")? {
            config.auth_deadline = Duration::from_millis(ms);
        }
        if let Some(secs) = number("TOKEN_LIFETIME_SECS")? {
            if secs == 0 {
                return Err("TOKEN_LIFETIME_SECS must be greater than 0".into());
            }
            config.token_lifetime_secs = secs;
        }
        config.test_controls_secret = env("TEST_CONTROLS_SECRET");
        if config.test_controls {
            match &config.test_controls_secret {
                None => return Err("--test-controls needs TEST_CONTROLS_SECRET".into()),
                Some(secret) if secret.len() < MIN_CONTROLS_SECRET_BYTES => {
                    return Err(format!(
                        "TEST_CONTROLS_SECRET must be at least {MIN_CONTROLS_SECRET_BYTES} bytes"
                    ))
                }
                Some(_) => {}
            }
        }
        let http = &mut config.http;
        if let Some(ms) = number("HEADER_READ_TIMEOUT_MS")? {
            http.header_read_timeout = Duration::from_millis(ms.max(1));
        }
        if let Some(n) = number("MAX_HEADER_BYTES")? {
            // hyper's smallest read buffer.
            http.max_header_bytes = (n as usize).max(8192);
        }
        if let Some(n) = number("MAX_BODY_BYTES")? {
            http.max_body_bytes = n as usize;
        }
        if let Some(n) = number("MAX_CONNECTIONS")? {
            http.max_connections = (n as usize).max(1);
        }
        if let Some(n) = number("LOGIN_MAX_FAILURES_PER_USER")? {
            http.login_failures_per_user =
                u32::try_from(n).map_err(|_| "LOGIN_MAX_FAILURES_PER_USER is too large")?;
        }
        if let Some(n) = number("LOGIN_MAX_FAILURES_PER_IP")? {
            http.login_failures_per_ip =
                u32::try_from(n).map_err(|_| "LOGIN_MAX_FAILURES_PER_IP is too large")?;
        }
        if let Some(secs) = number("LOGIN_WINDOW_SECS")? {
            http.login_window = Duration::from_secs(secs);
        }
        if let Some(secs) = number("SESSION_TTL_SECS")? {
            http.session_ttl = Duration::from_secs(secs);
        }
        if let Some(n) = number("MAX_LOGIN_SESSIONS_PER_USER")? {
            http.max_login_sessions_per_user = (n as usize).max(1);
        }
        if let Some(n) = number("TOKENS_PER_MINUTE")? {
            http.tokens_per_minute = u32::try_from(n).map_err(|_| "TOKENS_PER_MINUTE is too large")?;
        }
        if let Some(ms) = number("RESUME_WINDOW_MS")? {
            config.resume.window = Duration::from_millis(ms);
        }
        if let Some(n) = number("RESUME_BUFFER")? {
            config.resume.buffer = (n as usize).max(1);
        }
        if let Some(n) = number("RESUME_BUFFER_BYTES")? {
            config.resume.buffer_bytes = (n as usize).max(1);
        }
        if let Some(n) = number("MAX_DETACHED_SESSIONS_PER_USER")? {
            config.resume.detached_per_user = n as usize;
        }
        if let Some(n) = number("RESUMABLE_SESSIONS")? {
            config.resume.enabled = n != 0;
        }
        let limits = &mut config.limits;
        if let Some(n) = number("CONTROL_FRAMES_PER_MINUTE")? {
            limits.control_frames_per_minute =
                u32::try_from(n).map_err(|_| "CONTROL_FRAMES_PER_MINUTE is too large")?;
        }
        if let Some(n) = number("OUTGOING_QUEUE")? {
            limits.outgoing_queue = (n as usize).max(1);
        }
        if let Some(ms) = number("WRITE_TIMEOUT_MS")? {
            limits.write_timeout = Duration::from_millis(ms.max(1));
        }
        if let Some(ms) = number("CLOSE_TIMEOUT_MS")? {
            limits.close_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = number("TOKEN_EXPIRY_GRACE_MS")? {
            limits.token_expiry_grace = Duration::from_millis(ms);
        }
        if let Some(n) = number("MAX_CONNECTIONS_PER_IP")? {
            limits.connections_per_ip = n as usize;
        }
        if let Some(n) = number("MAX_CONNECTIONS_PER_USER")? {
            limits.connections_per_user = n as usize;
        }
        if let Some(n) = number("MAX_ROOMS_PER_CLIENT")? {
            limits.rooms_per_client = n as usize;
        }
        if let Some(n) = number("RATE_LIMIT_PER_MINUTE")? {
            limits.messages_per_minute =
                u32::try_from(n).map_err(|_| "RATE_LIMIT_PER_MINUTE is too large")?;
        }
        if let Some(n) = number("MAX_MESSAGE_BYTES")? {
            limits.max_message_bytes = n as usize;
        }
        if let Some(ms) = number("PING_INTERVAL_MS")? {
            if ms == 0 {
                return Err("PING_INTERVAL_MS must be greater than 0".into());
            }
            limits.ping_interval = Duration::from_millis(ms);
        }
        if let Some(users) = env("USERS") {
            config.users = users
                .split(',')
                .map(|pair| {
                    pair.split_once(':')
                        .map(|(u, p)| (u.to_owned(), p.to_owned()))
                        .ok_or_else(|| format!("USERS: '{pair}' is not name:password"))
                })
                .collect::<Result<_, _>>()?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<ServerConfig, String> {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ServerConfig::from_args_and_env(args.iter().map(|s| s.to_string()), |k| env.get(k).cloned())
    }

    #[test]
    fn refuses_a_short_secret() {
        let err = parse(&[], &[("JWT_SECRET", "too-short")]).unwrap_err();
        assert!(err.contains("32 bytes"), "{err}");
        assert!(!err.contains("too-short"), "the secret must not be echoed: {err}");
    }

    #[test]
    fn reads_flags_and_environment() {
        let config = parse(
            &["--port", "0", "--test-controls"],
            &[
                ("ALLOWED_ORIGINS", "http://a.test, http://b.test"),
                ("USERS", "carol:pw"),
                ("TEST_CONTROLS_SECRET", "0123456789abcdef"),
            ],
        )
        .unwrap();
        assert!(config.test_controls);
        assert_eq!(config.allowed_origins, ["http://a.test", "http://b.test"]);
        assert_eq!(config.users.get("carol").map(String::as_str), Some("pw"));
    }

    #[test]
    fn test_controls_need_a_long_enough_secret() {
        assert!(parse(&["--test-controls"], &[]).unwrap_err().contains("TEST_CONTROLS_SECRET"));
        let short = parse(&["--test-controls"], &[("TEST_CONTROLS_SECRET", "short-secret")]).unwrap_err();
        assert!(!short.contains("short-secret"), "the secret is not echoed: {short}");
    }

    #[test]
    fn controls_are_off_by_default() {
        assert!(!parse(&[], &[]).unwrap().test_controls);
        assert!(parse(&["--bogus"], &[]).is_err());
    }
}
