//! The page and its API description, embedded in the binary (no CDN: the playground works
//! offline). The page's sources live in `web/`: index.html, style.css, and the ES modules in
//! `web/js/` (core, controls, draw, inspect, tabs, main).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::api::ApiError;

const INDEX: &str = include_str!("../../web/index.html");
const STYLE: &str = include_str!("../../web/style.css");
const OPENAPI: &str = include_str!("../../web/openapi.json");

/// The page's scripts, by file name under `/js/`.
const SCRIPTS: [(&str, &str); 6] = [
    ("core.js", include_str!("../../web/js/core.js")),
    ("controls.js", include_str!("../../web/js/controls.js")),
    ("draw.js", include_str!("../../web/js/draw.js")),
    ("inspect.js", include_str!("../../web/js/inspect.js")),
    ("tabs.js", include_str!("../../web/js/tabs.js")),
    ("main.js", include_str!("../../web/js/main.js")),
];

pub async fn index() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX)
}

pub async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// `GET /js/{file}`: one of the page's modules.
pub async fn script(Path(file): Path<String>) -> Result<Response, ApiError> {
    let (_, text) = SCRIPTS
        .iter()
        .find(|(name, _)| *name == file)
        .ok_or_else(|| ApiError::not_found(format!("no script /js/{file}")))?;
    Ok(([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], *text).into_response())
}
