//! Tests of `core::config`.

use crate::core::config::*;

fn url<'a>(scheme: &'a str, hostname: &'a str, query_names: &'a [String]) -> UrlParts<'a> {
    UrlParts { scheme, hostname, has_userinfo: false, query_names, has_fragment: false }
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

#[test]
fn defaults_are_the_documented_ones_and_valid() {
    let config = Config::default().validate().unwrap();
    assert_eq!(config.auth_timeout_ms, 5000);
    assert_eq!(config.reauth_interval_ms, 840_000);
    assert_eq!(config.reconnect.max_attempts, 5);
    assert_eq!(config.max_message_bytes, 10_240);
    assert_eq!(config.heartbeat, None);
}

#[test]
fn durations_must_be_whole_non_negative_and_bounded() {
    assert_eq!(duration("authTimeoutMs", 250.0), Ok(250));
    for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, 1e12] {
        let err = duration("authTimeoutMs", bad).unwrap_err();
        assert_eq!(err.option, "authTimeoutMs", "{bad} should be refused");
    }
}

#[test]
fn relations_between_options_are_checked() {
    let mut config = Config::default();
    config.reconnect.base_delay_ms = 60_000;
    assert_eq!(config.validate().unwrap_err().option, "reconnect.baseDelayMs");
    let config = Config { max_queued_messages: 0, ..Config::default() };
    assert_eq!(config.validate().unwrap_err().option, "maxQueuedMessages");
    let heartbeat = Some(Heartbeat { interval_ms: 1000, timeout_ms: 0 });
    let config = Config { heartbeat, ..Config::default() };
    assert_eq!(config.validate().unwrap_err().option, "heartbeat");
}

#[test]
fn plain_ws_is_allowed_only_to_loopback() {
    for host in ["127.0.0.1", "[::1]", "localhost"] {
        assert!(check_url(url("ws:", host, &[]), false).is_ok(), "{host}");
    }
    let err = check_url(url("ws:", "example.com", &[]), false).unwrap_err();
    assert!(err.insecure);
    assert!(check_url(url("ws:", "example.com", &[]), true).is_ok());
    assert!(check_url(url("wss:", "example.com", &[]), false).is_ok());
    assert!(check_url(url("https:", "example.com", &[]), false).is_err());
}

#[test]
fn credentials_in_the_url_are_refused() {
    // The names as the browser's `URLSearchParams` decoded them (`?%74oken=` arrives as `token`:
    // the browser tests of both faces check that), in any case.
    for query in [
        &["token"][..],
        &["room", "access_token"],
        &["JWT"],
        &["Auth"],
        &["id_token"],
        &["API_KEY"],
        &["access-token"],
        &["to\u{212A}en"], // a Kelvin sign lowercases to `k`, in JS as here
    ] {
        assert!(check_url(url("wss:", "example.com", &names(query)), false).is_err(), "{query:?}");
    }
    for query in [&["room"][..], &["tokens"], &["to%6Ben%"], &["tok en"], &["%", "%zz"]] {
        assert!(check_url(url("wss:", "example.com", &names(query)), false).is_ok(), "{query:?}");
    }
    let with_user = UrlParts { has_userinfo: true, ..url("wss:", "example.com", &[]) };
    assert!(check_url(with_user, false).is_err());
}

#[test]
fn a_url_with_a_fragment_is_refused_at_construction() {
    // A browser's WebSocket refuses it (or drops it): refused up front, never a session that
    // cannot connect.
    let with_fragment = UrlParts { has_fragment: true, ..url("wss:", "example.com", &[]) };
    let error = check_url(with_fragment, false).unwrap_err();
    assert_eq!((error.option, error.insecure), ("url", false));
    assert!(error.problem.contains("fragment"), "{}", error.problem);
}

#[test]
fn options_js_refuses_the_same_urls() {
    // The npm class checks its URL in JS (src/api/options.js) and the Rust API with `check_url`:
    // the credential names and the loopback hosts must not drift apart.
    let options_js = include_str!("../../api/options.js");
    let start =
        options_js.find("const CREDENTIAL_PARAMS = [").expect("options.js names its CREDENTIAL_PARAMS");
    let list = &options_js[start..];
    let list = &list[list.find('[').unwrap() + 1..list.find("];").unwrap()];
    let names: Vec<&str> =
        list.split(',').map(|name| name.trim().trim_matches('\'')).filter(|name| !name.is_empty()).collect();
    assert_eq!(names, crate::core::config::CREDENTIAL_PARAMS, "options.js's CREDENTIAL_PARAMS drifted");
    let hosts =
        crate::core::config::LOOPBACK_HOSTS.iter().map(|host| format!("'{host}'")).collect::<Vec<_>>();
    assert!(
        options_js.contains(&format!("const LOOPBACK = [{}];", hosts.join(", "))),
        "options.js's loopback hosts drifted from check_url's {hosts:?}"
    );
    for name in names {
        let query = [name.to_uppercase()];
        assert!(check_url(url("wss:", "example.com", &query), false).is_err_and(|e| e.insecure), "{name}");
    }
}
