//! The WebSocket URL as the browser parses it, checked by the core's rules. Both faces (the
//! JavaScript class and the Rust API) open URLs through this one check.

use crate::core::config::{self, ConfigError, UrlParts};

/// Parses `url` with the browser's `URL` and refuses what [`config::check_url`] refuses; returns
/// the normalised `href` the socket opens.
pub(crate) fn check_url(url: &str, allow_insecure: bool) -> Result<String, ConfigError> {
    let parsed =
        web_sys::Url::new(url).map_err(|_| ConfigError::new("url", "is not a valid absolute URL"))?;
    let (scheme, hostname, search) = (parsed.protocol(), parsed.hostname(), parsed.search());
    let has_userinfo = !parsed.username().is_empty() || !parsed.password().is_empty();
    config::check_url(
        UrlParts { scheme: &scheme, hostname: &hostname, has_userinfo, search: &search },
        allow_insecure,
    )?;
    Ok(parsed.href())
}
