//! `secure-ws-test-server [--port N] [--test-controls] [--static DIR]`
//! Environment: `JWT_SECRET` (≥ 32 bytes; random when unset), `ALLOWED_ORIGINS`, `USERS`.

use std::io::Write;

use secure_ws_test_server::{serve, ServerConfig};

#[tokio::main]
async fn main() {
    let config =
        match ServerConfig::from_args_and_env(std::env::args().skip(1), |key| std::env::var(key).ok()) {
            Ok(config) => config,
            Err(problem) => {
                eprintln!("secure-ws-test-server: {problem}");
                std::process::exit(2);
            }
        };
    let result = serve(config, |addr| {
        // Scripts wait for this exact line to learn the port.
        println!("listening on {addr}");
        let _ = std::io::stdout().flush();
    })
    .await;
    if let Err(error) = result {
        eprintln!("secure-ws-test-server: {error}");
        std::process::exit(1);
    }
}
