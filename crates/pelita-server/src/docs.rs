//! The API explorer at `GET /api/docs`: Swagger UI over [`crate::openapi`]'s
//! document, every file embedded in the binary and served from this origin
//! (no CDN). The Swagger UI files are vendored, unmodified, under
//! `assets/swagger-ui/` (see the README there: package, version, licence,
//! and `scripts/refresh-swagger-ui.sh`); the page and its start-up script
//! under `assets/docs/` are Pelita's own. The start-up script is a file, not
//! an inline script, so that the page's [`CSP`] can stay strict.

use axum::Router;
use axum::http::header;
use axum::routing::get;

/// The page.
pub const PAGE: &str = "/api/docs";

/// The Content Security Policy of the explorer's answers: the default is
/// still to load nothing, and no framing; scripts, styles and images from
/// this origin only (plus the inline styles and `data:` images that Swagger
/// UI uses), and requests (the document, "try it out") to this origin only.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                       img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Every file of the explorer: (path, content type, bytes).
pub const FILES: &[(&str, &str, &[u8])] = &[
    (
        PAGE,
        "text/html; charset=utf-8",
        include_bytes!("../assets/docs/index.html"),
    ),
    (
        "/api/docs/init.js",
        JS,
        include_bytes!("../assets/docs/init.js"),
    ),
    (
        "/api/docs/swagger-ui-bundle.js",
        JS,
        include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "/api/docs/swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/swagger-ui/swagger-ui.css"),
    ),
    (
        "/api/docs/favicon-32x32.png",
        "image/png",
        include_bytes!("../assets/swagger-ui/favicon-32x32.png"),
    ),
    (
        "/api/docs/LICENSE",
        TEXT,
        include_bytes!("../assets/swagger-ui/LICENSE"),
    ),
    (
        "/api/docs/NOTICE",
        TEXT,
        include_bytes!("../assets/swagger-ui/NOTICE"),
    ),
    (
        "/api/docs/swagger-ui-bundle.js.LICENSE.txt",
        TEXT,
        include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js.LICENSE.txt"),
    ),
];

/// Whether `path` is one of the explorer's files (their answers get [`CSP`]).
pub fn is_docs_path(path: &str) -> bool {
    FILES.iter().any(|(p, ..)| *p == path)
}

/// The routes of the explorer's files (no authentication: nothing in them
/// is secret, and the explorer asks for a token before it calls the API).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    FILES
        .iter()
        .fold(Router::new(), |router, &(path, content_type, bytes)| {
            router.route(
                path,
                get(move || async move { ([(header::CONTENT_TYPE, content_type)], bytes) }),
            )
        })
}
