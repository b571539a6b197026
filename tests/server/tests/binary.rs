//! The binary as scripts start it: `--port 0` prints the bound address; a short `JWT_SECRET` or
//! an unknown flag stops it at start with exit code 2 and a message that does not echo the secret.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

const BINARY: &str = env!("CARGO_BIN_EXE_secure-ws-test-server");

#[test]
fn port_zero_prints_the_bound_address() {
    let mut child = Command::new(BINARY)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let addr = line.trim().strip_prefix("listening on 127.0.0.1:").expect(&line);
    assert!(addr.parse::<u16>().unwrap() > 0);
}

#[test]
fn a_short_secret_refuses_to_start() {
    let output = Command::new(BINARY).env("JWT_SECRET", "only-twenty-bytes-xx").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 32 bytes"), "{stderr}");
    assert!(!stderr.contains("only-twenty-bytes"), "the secret is not echoed: {stderr}");
}

#[test]
fn an_unknown_flag_refuses_to_start() {
    let output = Command::new(BINARY).arg("--allow-everything").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}
