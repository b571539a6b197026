//! The WebSocket URL as the browser parses it, checked by the core's rules, so that `connect`
//! refuses it with a typed error before the JavaScript class (whose options.js applies the same
//! rules, with the same messages) is made.

use crate::core::config::{self, ConfigError, UrlParts};

/// Parses `url` with the browser's `URL` and refuses what [`config::check_url`] refuses; returns
/// the normalised `href`, which the class is given.
pub(super) fn check_url(url: &str, allow_insecure: bool) -> Result<String, ConfigError> {
    let parsed =
        web_sys::Url::new(url).map_err(|_| ConfigError::new("url", "is not a valid absolute URL"))?;
    let (scheme, hostname) = (parsed.protocol(), parsed.hostname());
    let has_userinfo = !parsed.username().is_empty() || !parsed.password().is_empty();
    // Decoded by the browser's own `URLSearchParams`, as options.js reads them.
    let query_names: Vec<String> =
        parsed.search_params().keys().into_iter().filter_map(|name| name.ok()?.as_string()).collect();
    let href = parsed.href();
    let has_fragment = href.contains('#');
    config::check_url(
        UrlParts {
            scheme: &scheme,
            hostname: &hostname,
            has_userinfo,
            query_names: &query_names,
            has_fragment,
        },
        allow_insecure,
    )?;
    Ok(href)
}
