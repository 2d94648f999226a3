//! Invitations as operators paste them: a long-form URL (`?oob=`, `?c_i=`, `?d_m=`), the JSON
//! itself, or a short link that the server expands (RFC 0434 URL shortening, as Credo follows
//! it): fetched with `Accept: application/json`, a redirect followed or the JSON body taken.

use std::time::Duration;

use net::shortlink::{resolve, Resolved};

/// `text` as an invitation parser takes it: unchanged unless it is an http(s) URL with no
/// invitation in it, which is then followed to its invitation (the long-form URL or the JSON).
pub async fn long_form(
    text: &str,
    trust: &net::Trust,
    timeout: Duration,
) -> Result<String, String> {
    let text = text.trim();
    let is_http = text.starts_with("http://") || text.starts_with("https://");
    if !is_http || didcomm::invitation::has_invitation_parameter(text) {
        return Ok(text.to_string());
    }
    let resolved = resolve(
        text,
        trust,
        timeout,
        didcomm::invitation::has_invitation_parameter,
    )
    .await?;
    Ok(match resolved {
        Resolved::Url(url) => url,
        Resolved::Json(json) => json,
    })
}
