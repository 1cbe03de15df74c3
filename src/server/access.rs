//! Who may use the playground. Bound to 127.0.0.1 or ::1 (the default) it is open, as a local
//! tool is. Bound anywhere else (another loopback address included) it needs a token, as Jupyter does: one is made at start (or given with
//! `--token`) and printed in the page's URL (`/?token=…`); the first page load with it sets a
//! cookie, so the page's own requests carry it from then on; scripts send it in the
//! `X-Backprop-Token` header. Anything else gets 401 with a JSON message. Tokens are compared
//! in constant time and never logged.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::api::ApiError;

/// The cookie and the header a token travels in, and the query parameter of the first load.
const COOKIE: &str = "backprop_token";
const HEADER: &str = "x-backprop-token";
const QUERY: &str = "token";

/// Whether requests need a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Open,
    Token(String),
}

impl Access {
    /// The access for a bind address: a given token always; none with `no_token` (the caller
    /// warns); none on the default address; else a fresh random one.
    pub fn for_bind(host: IpAddr, token: Option<String>, no_token: bool) -> Access {
        match token {
            Some(t) => Access::Token(t),
            None if no_token || is_default_host(host) => Access::Open,
            None => Access::Token(format!("{:032x}", rand::random::<u128>())),
        }
    }

    /// The query string the page's URL needs (`?token=…`), or none.
    pub fn query(&self) -> String {
        match self {
            Access::Open => String::new(),
            Access::Token(t) => format!("?{QUERY}={t}"),
        }
    }
}

/// 127.0.0.1 or ::1: the addresses open without a token. Any other (0.0.0.0, a LAN address,
/// and also 127.0.0.2, which `is_loopback` counts but which a teacher would only choose on
/// purpose) needs one: asking for a token where none was needed costs a click, the reverse
/// exposes every session.
pub fn is_default_host(host: IpAddr) -> bool {
    host == IpAddr::from(std::net::Ipv4Addr::LOCALHOST) || host == IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
}

/// The token a request carries: its header, its cookie, or its `?token=` query.
fn presented(headers: &HeaderMap, query: Option<&str>) -> (Vec<String>, bool) {
    let mut found = vec![];
    if let Some(v) = headers.get(HEADER).and_then(|v| v.to_str().ok()) {
        found.push(v.to_string());
    }
    for cookies in headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()) {
        for pair in cookies.split(';') {
            if let Some((name, value)) = pair.trim().split_once('=')
                && name == COOKIE
            {
                found.push(value.to_string());
            }
        }
    }
    let from_query = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| *name == QUERY)
        .map(|(_, value)| value.to_string())
        .collect::<Vec<_>>();
    let by_query = !from_query.is_empty();
    found.extend(from_query);
    (found, by_query)
}

/// The middleware: passes requests with the right token (setting the cookie when it came in
/// the query), answers the others 401.
pub async fn require(State(access): State<Access>, request: Request, next: Next) -> Response {
    let Access::Token(token) = &access else { return next.run(request).await };
    let (offered, by_query) = presented(request.headers(), request.uri().query());
    let right = offered.iter().any(|t| bool::from(t.as_bytes().ct_eq(token.as_bytes())));
    if !right {
        return ApiError(
            StatusCode::UNAUTHORIZED,
            "this playground needs its token: open the address the server printed (…/?token=…), \
             or send the X-Backprop-Token header"
                .into(),
        )
        .into_response();
    }
    let mut response = next.run(request).await;
    if by_query {
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_made_for_any_bind_but_loopback_unless_turned_off() {
        let lan: IpAddr = "0.0.0.0".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(matches!(Access::for_bind(lan, None, false), Access::Token(t) if t.len() == 32));
        assert_ne!(Access::for_bind(lan, None, false), Access::for_bind(lan, None, false), "random each start");
        assert_eq!(Access::for_bind(lan, None, true), Access::Open);
        assert_eq!(Access::for_bind(local, None, false), Access::Open);
        assert_eq!(Access::for_bind("::1".parse().unwrap(), None, false), Access::Open);
        let other_loopback: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(matches!(Access::for_bind(other_loopback, None, false), Access::Token(_)));
        assert_eq!(Access::for_bind(local, Some("s".into()), false), Access::Token("s".into()));
    }

    #[test]
    fn a_token_is_read_from_the_header_the_cookie_or_the_query() {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static("h"));
        headers.insert(header::COOKIE, HeaderValue::from_static("other=1; backprop_token=c"));
        let (found, by_query) = presented(&headers, Some("x=1&token=q"));
        assert_eq!((found, by_query), (vec!["h".to_string(), "c".into(), "q".into()], true));
        assert_eq!(presented(&HeaderMap::new(), Some("tokens=q")), (vec![], false));
    }
}
