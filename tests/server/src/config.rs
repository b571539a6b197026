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
    /// Enables `/test/*` fault controls. Off unless asked for.
    pub test_controls: bool,
    /// Serves this directory at `/` (the built demo).
    pub static_dir: Option<PathBuf>,
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
            test_controls: false,
            static_dir: None,
        }
    }
}

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
                "--static" => {
                    config.static_dir = Some(args.next().ok_or("--static needs a directory")?.into())
                }
                other => return Err(format!("unknown argument '{other}'")),
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
        if let Some(ms) = env("AUTH_TIMEOUT_MS") {
            let ms: u64 = ms.parse().map_err(|_| format!("AUTH_TIMEOUT_MS: '{ms}' is not a number"))?;
            config.auth_deadline = Duration::from_millis(ms);
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
            &[("ALLOWED_ORIGINS", "http://a.test, http://b.test"), ("USERS", "carol:pw")],
        )
        .unwrap();
        assert!(config.test_controls);
        assert_eq!(config.allowed_origins, ["http://a.test", "http://b.test"]);
        assert_eq!(config.users.get("carol").map(String::as_str), Some("pw"));
    }

    #[test]
    fn controls_are_off_by_default() {
        assert!(!parse(&[], &[]).unwrap().test_controls);
        assert!(parse(&["--bogus"], &[]).is_err());
    }
}
