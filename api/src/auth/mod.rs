//! Authentication: who is making a request.
//!
//! epstore authenticates bearer tokens only, as kube-apiserver's static token authenticator does: the
//! admin token generated into the data dir (user `admin`, group `system:masters`) and the records of
//! `--token-auth-file` ([`token`]). Every authenticated user also gets the group
//! `system:authenticated`, as upstream's `AuthenticatedGroupAdder` does.
//!
//! The request side is [`middleware`]: requests to the public paths
//! (`/healthz`, `/livez`, `/readyz` and their subpaths, `/version`) pass without credentials (as the
//! anonymous user); every other request needs a valid token, else it gets the 401 Status of
//! read-path §8.4. A request with a token that is *present but invalid* is a 401 on every path, as
//! upstream (authentication fails before the anonymous fallback). On success the `Authorization`
//! header is removed from the request and the [`UserInfo`] is inserted into its extensions (and into
//! the response's, for the request log).

pub mod token;

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;

use crate::status::Status;
use token::{TokenFileError, TokenTable};

/// The group every authenticated user is in.
pub const GROUP_AUTHENTICATED: &str = "system:authenticated";
/// The group of the anonymous user.
pub const GROUP_UNAUTHENTICATED: &str = "system:unauthenticated";
/// The superuser group (what the admin token authenticates into).
pub const GROUP_MASTERS: &str = "system:masters";
/// The name of the anonymous user.
pub const USER_ANONYMOUS: &str = "system:anonymous";
/// The name of the user the generated admin token authenticates as.
pub const USER_ADMIN: &str = "admin";

/// An authenticated (or anonymous) user, as `k8s.io/apiserver/pkg/authentication/user.Info`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// The user name.
    pub name: String,
    /// The user's uid (may be empty).
    pub uid: String,
    /// The groups the user is in.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// The user of the generated admin token: `admin`, group `system:masters`.
    pub fn admin() -> Self {
        Self {
            name: USER_ADMIN.to_string(),
            uid: String::new(),
            groups: vec![GROUP_MASTERS.to_string()],
        }
    }

    /// The anonymous user: `system:anonymous`, group `system:unauthenticated`.
    pub fn anonymous() -> Self {
        Self {
            name: USER_ANONYMOUS.to_string(),
            uid: String::new(),
            groups: vec![GROUP_UNAUTHENTICATED.to_string()],
        }
    }

    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether this is the anonymous user.
    pub fn is_anonymous(&self) -> bool {
        self.name == USER_ANONYMOUS
    }
}

/// The outcome of looking at a request's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// A valid bearer token: the user it belongs to (with `system:authenticated` added).
    Authenticated(UserInfo),
    /// No bearer token in the request.
    NoCredentials,
    /// A bearer token that no user has.
    InvalidToken,
}

/// Maps bearer tokens to users. Cheap to share (`Arc`), immutable once built.
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    tokens: TokenTable,
}

impl Authenticator {
    /// An authenticator that knows no token (every protected request is a 401).
    pub fn new() -> Self {
        Self::default()
    }

    /// An authenticator for the admin token plus, when given, a `--token-auth-file`.
    ///
    /// The admin token wins over a token-file record with the same token.
    pub fn from_sources(
        admin_token: Option<&str>,
        token_auth_file: Option<&Path>,
    ) -> Result<Self, TokenFileError> {
        let mut tokens = match token_auth_file {
            Some(path) => TokenTable::from_file(path)?,
            None => TokenTable::new(),
        };
        if let Some(admin) = admin_token {
            tokens.insert(admin, UserInfo::admin());
        }
        Ok(Self { tokens })
    }

    /// Adds (or replaces) one token.
    pub fn add_token(&mut self, token: impl Into<String>, user: UserInfo) {
        self.tokens.insert(token, user);
    }

    /// How many tokens are known.
    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }

    /// Authenticates the bearer token in `headers`, following upstream's `bearertoken.go`:
    /// the header is trimmed and split on spaces into at most 3 parts; the first must be `bearer`
    /// (any case) and the second non-empty, else the request carries no credentials.
    pub fn authenticate(&self, headers: &HeaderMap) -> AuthOutcome {
        let Some(token) = bearer_token(headers) else {
            return AuthOutcome::NoCredentials;
        };
        match self.tokens.lookup(token) {
            Some(user) => {
                let mut user = user.clone();
                if !user.in_group(GROUP_AUTHENTICATED) {
                    user.groups.push(GROUP_AUTHENTICATED.to_string());
                }
                AuthOutcome::Authenticated(user)
            }
            None => AuthOutcome::InvalidToken,
        }
    }
}

/// The bearer token of a request, if it has one (see [`Authenticator::authenticate`]).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    // Go's Header.Get returns the first value.
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let mut parts = value.splitn(3, ' ');
    let scheme = parts.next()?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = parts.next()?;
    if token.is_empty() {
        return None;
    }
    Some(token)
}

/// Whether `path` may be requested without credentials: the health checks (and their
/// `/<check>/<name>` subpaths) and `/version`.
pub fn is_public_path(path: &str) -> bool {
    if path == "/version" || path == "/version/" {
        return true;
    }
    ["/healthz", "/livez", "/readyz"]
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
}

/// The axum middleware: authenticates the request, inserts its [`UserInfo`] into the extensions and
/// drops the `Authorization` header, or answers the 401 Status.
///
/// Use it with `axum::middleware::from_fn_with_state(Arc<Authenticator>, middleware)`.
pub async fn middleware(
    State(authenticator): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    let user = match authenticator.authenticate(request.headers()) {
        AuthOutcome::Authenticated(user) => {
            request.headers_mut().remove(header::AUTHORIZATION);
            user
        }
        AuthOutcome::NoCredentials if is_public_path(request.uri().path()) => UserInfo::anonymous(),
        AuthOutcome::NoCredentials | AuthOutcome::InvalidToken => {
            tracing::debug!(path = request.uri().path(), "unauthorized request");
            let pretty = crate::discovery::wants_pretty(request.uri(), request.headers());
            return Status::unauthorized().to_response(pretty);
        }
    };
    request.extensions_mut().insert(user.clone());
    let mut response = next.run(request).await;
    // For the request log line written outside this layer.
    response.extensions_mut().insert(user);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{HeaderValue, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    fn authenticator() -> Authenticator {
        let mut a = Authenticator::from_sources(Some("adm1n"), None).unwrap();
        a.add_token(
            "t0k",
            UserInfo {
                name: "bob".into(),
                uid: "7".into(),
                groups: vec!["dev".into()],
            },
        );
        a
    }

    #[test]
    fn bearer_parsing_follows_upstream() {
        assert_eq!(bearer_token(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("  bearer abc  ")), Some("abc"));
        assert_eq!(bearer_token(&headers("BEARER abc extra")), Some("abc"));
        assert_eq!(bearer_token(&headers("Bearer  abc")), None);
        assert_eq!(bearer_token(&headers("Bearer")), None);
        assert_eq!(bearer_token(&headers("Basic YWxhZGRpbjpvcGVuc2VzYW1l")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn outcomes() {
        let a = authenticator();
        match a.authenticate(&headers("Bearer adm1n")) {
            AuthOutcome::Authenticated(u) => {
                assert_eq!(u.name, "admin");
                assert_eq!(u.groups, vec![GROUP_MASTERS, GROUP_AUTHENTICATED]);
            }
            other => panic!("unexpected {other:?}"),
        }
        match a.authenticate(&headers("Bearer t0k")) {
            AuthOutcome::Authenticated(u) => {
                assert_eq!(u.uid, "7");
                assert_eq!(u.groups, vec!["dev", GROUP_AUTHENTICATED]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(a.authenticate(&headers("Bearer nope")), AuthOutcome::InvalidToken);
        assert_eq!(a.authenticate(&HeaderMap::new()), AuthOutcome::NoCredentials);
    }

    #[test]
    fn public_paths() {
        for p in [
            "/healthz",
            "/livez",
            "/readyz",
            "/readyz/ping",
            "/healthz/log",
            "/version",
        ] {
            assert!(is_public_path(p), "{p}");
        }
        for p in ["/healthzx", "/api", "/api/v1", "/versions", "/", "/openapi/v3"] {
            assert!(!is_public_path(p), "{p}");
        }
    }

    async fn call(app: Router, path: &str, auth: Option<&str>) -> (StatusCode, String) {
        let mut req = axum::http::Request::builder().uri(path);
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn middleware_behaviour() {
        let app = Router::new()
            .route(
                "/api",
                get(|req: Request| async move {
                    let user = req.extensions().get::<UserInfo>().cloned().unwrap_or_default();
                    let had_auth = req.headers().contains_key(header::AUTHORIZATION);
                    format!("{} {}", user.name, had_auth)
                }),
            )
            .route(
                "/healthz",
                get(|req: Request| async move {
                    req.extensions()
                        .get::<UserInfo>()
                        .map(|u| u.name.clone())
                        .unwrap_or_default()
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(authenticator()),
                middleware,
            ));

        let (code, body) = call(app.clone(), "/api", None).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body.trim_end(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
        );
        let (code, body) = call(app.clone(), "/api", Some("Bearer adm1n")).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body, "admin false");
        let (code, _) = call(app.clone(), "/api", Some("Bearer wrong")).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);
        let (code, body) = call(app.clone(), "/healthz", None).await;
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body, USER_ANONYMOUS);
        let (code, _) = call(app.clone(), "/healthz", Some("Bearer wrong")).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);
        // Unknown paths are protected too.
        let (code, _) = call(app, "/nope", None).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED);
    }
}
