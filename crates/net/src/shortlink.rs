//! Short-link invitations (RFC 0434, URL shortening): a URL without the invitation in it, that
//! the server turns into one when asked with `Accept: application/json`, either by redirecting
//! to the long-form URL or by answering the invitation itself as JSON.

use std::time::Duration;

use crate::{explain, Trust};

/// Redirects followed before giving up: a shortener redirects once; a loop must not hang us.
const MAX_REDIRECTS: usize = 5;
/// An invitation is a few kilobytes; a body much larger than that is not one.
const MAX_BODY: usize = 256 * 1024;

/// What a short link led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A long-form invitation URL (with `oob=`, `c_i=` or `d_m=`).
    Url(String),
    /// The invitation as JSON text.
    Json(String),
}

/// Follows the short link `url` to its invitation. `is_long_form` tells a URL that carries an
/// invitation from one that does not. `Err` is one sentence naming what the server did wrong.
pub async fn resolve(
    url: &str,
    trust: &Trust,
    timeout: Duration,
    is_long_form: impl Fn(&str) -> bool,
) -> Result<Resolved, String> {
    let client = crate::clients::inspecting_client(trust, timeout)?;
    let mut current = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL ({e})"))?;
    for _ in 0..=MAX_REDIRECTS {
        if !matches!(current.scheme(), "http" | "https") {
            return Err(format!("{current} is not an http(s) URL"));
        }
        let mut response = client
            .get(current.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("{current}: {}", explain(&e)))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| format!("{current} answered HTTP {status} without a Location"))?;
            let next = current
                .join(location)
                .map_err(|e| format!("{current} redirected to {location:?}, not a URL ({e})"))?;
            if is_long_form(next.as_str()) {
                return Ok(Resolved::Url(next.to_string()));
            }
            current = next;
            continue;
        }
        if !status.is_success() {
            return Err(format!("{current} answered HTTP {status}"));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .unwrap_or("no content type")
            .to_string();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("{current}: {}", explain(&e)))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                return Err(format!(
                    "{current} answered more than {} KiB: not an invitation",
                    MAX_BODY / 1024
                ));
            }
        }
        let text = String::from_utf8_lossy(&body);
        if content_type.contains("json") || text.trim_start().starts_with('{') {
            return Ok(Resolved::Json(text.into_owned()));
        }
        return Err(format!(
            "{current} answered {content_type} rather than an invitation (JSON, or a redirect to a URL with oob=, c_i= or d_m=)"
        ));
    }
    Err(format!("{url} redirected more than {MAX_REDIRECTS} times"))
}
