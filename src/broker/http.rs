//! The management HTTP API client: one reqwest client over the shared rustls configuration,
//! failover across the configured URLs, paging, and errors mapped to exit codes.
//! Responses are decoded tolerantly by the callers' types (`#[serde(default)]`), since
//! fields differ between RabbitMQ 3.x and 4.x.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::settings::{Secret, Settings, TlsFiles};
use super::tls;
use crate::exit::{Code, Error};

/// Characters escaped in one path segment of the management API (`/` in a vhost is `%2F`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Build `/api/a/b/...` with each segment percent-encoded.
pub fn api_path(segments: &[&str]) -> String {
    let mut path = String::from("/api");
    for s in segments {
        path.push('/');
        path.push_str(&utf8_percent_encode(s, SEGMENT).to_string());
    }
    path
}

/// A GET the broker failed with 500 is asked again this many times, after a pause of
/// `READ_RETRY_PAUSE` times the attempt: a read changes nothing, and a broker fails some
/// reads only for a moment (4.0.5's `GET /api/vhosts` crashes in `inject_dqt` when a vhost is
/// deleted between its listing and its read). Writes are never asked again.
const READ_RETRIES: u32 = 2;
const READ_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

/// A whole request, body included, must end within this many times `--connect-timeout`
/// (the answer must start within one): a server that trickles its body fails like one
/// that never answers.
const WHOLE_REQUEST: u32 = 6;

/// The longest path and query warren sends: RabbitMQ's web server (cowboy) refuses a
/// request line over 8000 bytes by closing the connection, which would read as unreachable.
const MAX_TARGET: usize = 7900;

/// The one answer that says whether a URL is RabbitMQ's management API.
const OVERVIEW: &str = "/api/overview";

pub struct ManagementApi {
    client: reqwest::Client,
    bases: Vec<Url>,
    /// Index of the base URL that answered last; tried first next time.
    active: AtomicUsize,
    user: String,
    password: Secret,
    /// How long to wait for a response to start (its status line): `--connect-timeout`.
    answer_timeout: std::time::Duration,
    /// Kept for [`ManagementApi::at`], which builds a client of its own.
    tls: TlsFiles,
    /// What `/api/overview` said of a base URL, asked only once an answer looked wrong
    /// (see [`ManagementApi::check_peer`]): `None` when it answered like RabbitMQ.
    peers: std::sync::Mutex<Vec<(Url, Option<Error>)>>,
}

/// How [`ManagementApi::list`] reads a list endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pages {
    Paged,
    Whole,
}

/// One page of a paged list endpoint. `items` is required: an object without it is not
/// RabbitMQ's page (and not an empty list).
#[derive(serde::Deserialize)]
struct Page<T> {
    items: Vec<T>,
    #[serde(default)]
    page_count: u64,
}

impl ManagementApi {
    pub fn new(settings: &Settings) -> Result<Self> {
        let https = settings.api.iter().any(|u| u.scheme() == "https");
        Ok(ManagementApi {
            client: client(&settings.tls, settings.timeout, https)?,
            bases: settings.api.clone(),
            active: AtomicUsize::new(0),
            user: settings.user.clone(),
            password: settings.password.clone(),
            answer_timeout: settings.timeout,
            tls: settings.tls.clone(),
            peers: Default::default(),
        })
    }

    /// The same broker reached at `base` instead of the configured URLs: the audit's probes
    /// dial this machine's non-loopback address when the target is a loopback one. A TLS
    /// certificate is verified as always, against `--tls-server-name` or else `server_name`
    /// (the configured URL's host): the certificate names the broker, not the address
    /// dialled, and that address is this machine's own, so the connection never leaves it.
    pub fn at(&self, base: Url, server_name: &str) -> Result<ManagementApi> {
        let mut tls = self.tls.clone();
        if tls.server_name.is_none() {
            tls.server_name = Some(server_name.trim_matches(['[', ']']).to_string());
        }
        Ok(ManagementApi {
            client: client(&tls, self.answer_timeout, base.scheme() == "https")?,
            bases: vec![base],
            active: AtomicUsize::new(0),
            user: self.user.clone(),
            password: self.password.clone(),
            answer_timeout: self.answer_timeout,
            tls,
            peers: Default::default(),
        })
    }

    /// `--connect-timeout`: the deadline of a connection and of a response's start.
    pub fn timeout(&self) -> std::time::Duration {
        self.answer_timeout
    }

    /// The base URL that answered most recently (or will be tried first).
    pub fn base(&self) -> &Url {
        &self.bases[self.active.load(Ordering::Relaxed)]
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// The error (exit 9) for a vhost this user can't see: missing, or no permission on it;
    /// the API answers both alike.
    pub fn vhost_unavailable(&self, vhost: &str) -> Error {
        Error::vhost_unavailable(format!(
            "vhost `{vhost}` does not exist or user `{}` has no access to it",
            self.user
        ))
    }

    /// Whether `vhost` exists and this user may see it.
    pub async fn vhost_exists(&self, vhost: &str) -> Result<bool> {
        Ok(self
            .get_opt::<Value>(&api_path(&["vhosts", vhost]))
            .await?
            .is_some())
    }

    /// Fail with exit 9 unless `vhost` exists and this user may see it: the one vhost check.
    pub async fn require_vhost(&self, vhost: &str) -> Result<()> {
        if self.vhost_exists(vhost).await? {
            Ok(())
        } else {
            Err(self.vhost_unavailable(vhost).into())
        }
    }

    /// GET and decode; 404 is an error.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        match self.get_opt(path).await? {
            Some(v) => Ok(v),
            None => Err(Error::broker_refused(format!(
                "management API: {path} not found (404) at {}",
                self.base()
            ))
            .into()),
        }
    }

    /// GET and decode; 404 is `None`.
    pub async fn get_opt<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        match self.send(Method::GET, path, None::<&()>).await? {
            None => Ok(None),
            Some(text) => self.decode(path, &text).await.map(Some),
        }
    }

    /// Every item of a list endpoint: the one list reader. `Pages::Paged` fetches page 1 and
    /// then the other pages concurrently; endpoints that don't page on 3.x (users,
    /// permissions) answer with a plain array, which is taken as the whole list, and an
    /// endpoint whose paging fails (4.0.5's `/api/vhosts?page=...` answers 500) is read whole.
    /// `Pages::Whole` asks once, for large per-vhost lists that a broker pages by sorting the
    /// whole list for every page (cheaper read in one go with `columns` or `disable_stats`).
    pub async fn list<T: DeserializeOwned>(&self, path: &str, pages: Pages) -> Result<Vec<T>> {
        const PAGE_SIZE: u64 = 500;
        if pages == Pages::Whole {
            return self.decode(path, &self.get_text(path).await?).await;
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        let page_path = |page: u64| format!("{path}{sep}page={page}&page_size={PAGE_SIZE}");
        // The status decides, not the error's text: a raw request, judged here. A refusal
        // of the paged form (400, or 4.0.5's 500) is answered by reading the list whole;
        // 401, 403 and 404 get the usual error.
        let answer = self
            .raw(Method::GET, &page_path(1), Auth::Configured, &[])
            .await?;
        let first = match answer.status {
            200 => answer.body,
            401 | 403 | 404 => self.get_text(&page_path(1)).await?,
            _ => self.get_text(path).await?,
        };
        if first.trim_start().starts_with('[') {
            return self.decode(path, &first).await;
        }
        let page: Page<T> = self.decode(path, &first).await?;
        let mut items = page.items;
        let rest = (2..=page.page_count).map(|n| {
            let p = page_path(n);
            async move {
                self.decode::<Page<T>>(path, &self.get_text(&p).await?)
                    .await
            }
        });
        for page in futures_util::future::try_join_all(rest).await? {
            items.extend(page.items);
        }
        Ok(items)
    }

    async fn get_text(&self, path: &str) -> Result<String> {
        self.send(Method::GET, path, None::<&()>)
            .await?
            .ok_or_else(|| {
                Error::broker_refused(format!(
                    "management API: {path} not found (404) at {}",
                    self.base()
                ))
                .into()
            })
    }

    /// One request whose status and headers are the caller's to judge (health checks and the
    /// audit's probes). `target` is a path under the base URL, or an absolute URL on the same
    /// host. Only transport failures are errors.
    pub async fn raw(
        &self,
        method: Method,
        target: &str,
        auth: Auth<'_>,
        headers: &[(&str, &str)],
    ) -> Result<RawResponse> {
        let base = self.base().clone();
        let url = request_url(&base, &method, target)?;
        let what = format!("{method} {target}");
        let mut request = self.client.request(method, url);
        request = match auth {
            Auth::Configured => request.basic_auth(&self.user, Some(self.password.expose())),
            Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
            Auth::Anonymous => request,
        };
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let timeout = self.answer_timeout;
        let name = self.tls.server_name.as_deref();
        exchange(
            request,
            &base,
            name,
            &what,
            timeout,
            timeout * WHOLE_REQUEST,
        )
        .await
    }

    pub async fn put<B: Serialize>(&self, path: &str, body: &B) -> Result<()> {
        self.send_expect(Method::PUT, path, Some(body)).await
    }

    pub async fn post<B: Serialize>(&self, path: &str, body: &B) -> Result<()> {
        self.send_expect(Method::POST, path, Some(body)).await
    }

    /// POST a request the broker may take minutes over (a bulk definitions import): the
    /// usual request timeout does not apply, `timeout` does.
    pub async fn post_slow<B: Serialize>(
        &self,
        path: &str,
        body: &B,
        timeout: std::time::Duration,
    ) -> Result<()> {
        match self
            .send_with(Method::POST, path, Some(body), Some(timeout))
            .await?
        {
            Some(_) => Ok(()),
            None => Err(Error::broker_refused(format!(
                "management API: POST {path}: not found (404)"
            ))
            .into()),
        }
    }

    pub async fn delete(&self, path: &str) -> Result<()> {
        self.send_expect(Method::DELETE, path, None::<&()>).await
    }

    /// DELETE with a JSON body (the quorum queue `replicas/delete` endpoint takes one).
    pub async fn delete_with<B: Serialize>(&self, path: &str, body: &B) -> Result<()> {
        self.send_expect(Method::DELETE, path, Some(body)).await
    }

    async fn send_expect<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<()> {
        match self.send(method.clone(), path, body).await? {
            Some(_) => Ok(()),
            None => Err(Error::broker_refused(format!(
                "management API: {method} {path}: not found (404)"
            ))
            .into()),
        }
    }

    /// Send one request, failing over to the next base URL when one can't be reached.
    /// Returns the body, or `None` for 404.
    async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Option<String>> {
        self.send_with(method, path, body, None).await
    }

    async fn send_with<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        timeout: Option<std::time::Duration>,
    ) -> Result<Option<String>> {
        let start = self.active.load(Ordering::Relaxed);
        let mut last_err = None;
        for offset in 0..self.bases.len() {
            let index = (start + offset) % self.bases.len();
            let base = &self.bases[index];
            let url = request_url(base, &method, path)?;
            let what = format!("{method} {path}");
            let (start, whole) = match timeout {
                Some(t) => (t, t),
                None => (self.answer_timeout, self.answer_timeout * WHOLE_REQUEST),
            };
            let mut asked = 0;
            let answered = loop {
                let mut request = self
                    .client
                    .request(method.clone(), url.clone())
                    .basic_auth(&self.user, Some(self.password.expose()));
                if let Some(b) = body {
                    request = request.json(b);
                }
                if let Some(t) = timeout {
                    request = request.timeout(t);
                }
                let name = self.tls.server_name.as_deref();
                let answered = exchange(request, base, name, &what, start, whole).await;
                match answered {
                    Ok(response)
                        if method == Method::GET
                            && response.status == StatusCode::INTERNAL_SERVER_ERROR.as_u16()
                            && asked < READ_RETRIES =>
                    {
                        asked += 1;
                        crate::note!(
                            "management API: GET {path} failed with 500 at {base}; \
                             asking again ({asked} of {READ_RETRIES})"
                        );
                        tokio::time::sleep(READ_RETRY_PAUSE * asked).await;
                    }
                    answered => break answered,
                }
            };
            match answered {
                Ok(response) => {
                    self.active.store(index, Ordering::Relaxed);
                    return self.read(method, path, response).await;
                }
                Err(err) => {
                    if crate::exit::code_of(&err) == Code::Unreachable
                        && offset + 1 < self.bases.len()
                    {
                        crate::note!("{err:#}; trying the next management URL");
                    }
                    last_err = Some(err);
                }
            }
        }
        Err(last_err.unwrap_or_else(|| Error::usage("no management API URL configured").into()))
    }

    async fn read(
        &self,
        method: Method,
        path: &str,
        response: RawResponse,
    ) -> Result<Option<String>> {
        // An overview a command asks for is judged as it arrives: no request of its own.
        if method == Method::GET
            && path == OVERVIEW
            && let Some(not_rabbitmq) = self.judge(self.base(), &response)
        {
            return Err(not_rabbitmq.into());
        }
        let status =
            StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let text = response.body;
        let detail = || {
            serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| {
                    v.get("reason")
                        .and_then(|r| r.as_str())
                        .map(readable_reason)
                })
                .unwrap_or_else(|| text.chars().take(300).collect())
        };
        match status {
            s if s.is_success() => Ok(Some(text)),
            StatusCode::NOT_FOUND => {
                // RabbitMQ's 404 is a JSON object (`{"error":"Object Not Found",...}`); any
                // other is a reason to ask whether this is RabbitMQ at all.
                if !serde_json::from_str::<Value>(&text).is_ok_and(|v| v.is_object()) {
                    self.check_peer().await?;
                }
                Ok(None)
            }
            StatusCode::UNAUTHORIZED => Err(Error::auth_refused(format!(
                "management API at {} refused the credentials of user `{}` (401: {})",
                self.base(),
                self.user,
                detail()
            ))
            .into()),
            StatusCode::FORBIDDEN => Err(Error::auth_refused(format!(
                "management API: user `{}` may not {method} {path} (403: {})",
                self.user,
                detail()
            ))
            .into()),
            s => Err(Error::broker_refused(format!(
                "management API: {method} {path} failed with {s}: {}",
                detail()
            ))
            .into()),
        }
    }
}

impl ManagementApi {
    /// Decode the answer to GET `path`. An answer that is not the JSON asked for is first a
    /// reason to ask whether the URL is RabbitMQ's management API at all.
    async fn decode<T: DeserializeOwned>(&self, path: &str, text: &str) -> Result<T> {
        match serde_json::from_str(text) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.check_peer().await?;
                Err(Error::internal(format!(
                    "management API: unexpected response to GET {path}: {e}"
                ))
                .into())
            }
        }
    }

    /// Fail with exit 6 when the base URL does not answer `GET /api/overview` like RabbitMQ
    /// (JSON with `rabbitmq_version`). Asked only after an answer looked wrong, and once per
    /// URL: the happy path costs no request. An overview that can't be read at all, or is
    /// refused with RabbitMQ's JSON 401/403 or a 5xx, leaves the caller's own error to speak.
    /// Commands that read many endpoints and tolerate each one failing (the audit) ask first.
    pub async fn check_peer(&self) -> Result<()> {
        let base = self.base().clone();
        let known = self.peers.lock().ok().and_then(|peers| {
            peers
                .iter()
                .find(|(url, _)| *url == base)
                .map(|(_, verdict)| verdict.clone())
        });
        let verdict = match known {
            Some(verdict) => verdict,
            None => match self.raw(Method::GET, OVERVIEW, Auth::Configured, &[]).await {
                Ok(answer) => self.judge(&base, &answer),
                Err(_) => None,
            },
        };
        verdict.map_or(Ok(()), |e| Err(e.into()))
    }

    /// Judge an answer to `GET /api/overview` (one asked for by a command, or by
    /// [`ManagementApi::check_peer`]) and remember the verdict for `base`.
    fn judge(&self, base: &Url, answer: &RawResponse) -> Option<Error> {
        let verdict = not_rabbitmq(answer).map(|why| {
            Error::unreachable(format!(
                "{base} is not a RabbitMQ management API (GET {OVERVIEW} {why})"
            ))
            .hint(
                "check --api-url: RabbitMQ's management API listens on port 15672, or 15671 \
                 with TLS",
            )
        });
        if let Ok(mut peers) = self.peers.lock() {
            peers.retain(|(url, _)| url != base);
            peers.push((base.clone(), verdict.clone()));
        }
        verdict
    }
}

/// Why an answer to `GET /api/overview` is not RabbitMQ's, or `None` when it is, or when it
/// can't be told (RabbitMQ's JSON refusal of the credentials, a server error).
fn not_rabbitmq(answer: &RawResponse) -> Option<String> {
    let json = serde_json::from_str::<Value>(&answer.body)
        .ok()
        .filter(Value::is_object);
    let kind = || {
        if answer.body.is_empty() {
            return "an empty body".to_string();
        }
        answer
            .header("content-type")
            .map(|t| t.split(';').next().unwrap_or(t).trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "a body".into())
    };
    let status = StatusCode::from_u16(answer.status)
        .map(|s| s.to_string())
        .unwrap_or_else(|_| answer.status.to_string());
    match (answer.status, json) {
        (200, Some(v)) if v.get("rabbitmq_version").is_some_and(Value::is_string) => None,
        (401 | 403, Some(_)) => None,
        // A broker fails a read now and then (4.0.5's 500s): that says nothing of what it is.
        (500.., _) => None,
        (200, Some(_)) => Some("has no rabbitmq_version".into()),
        (200, None) => Some(format!("answered {}, not JSON", kind())),
        (_, Some(_)) => Some(format!("answered {status}")),
        (_, None) => Some(format!("answered {status} with {}", kind())),
    }
}

/// The URL of `target`: a path under `base`, or an absolute URL on the same host. A target
/// longer than [`MAX_TARGET`] is a request warren can't send: a usage error, not a failure
/// of the broker.
fn request_url(base: &Url, method: &Method, target: &str) -> Result<Url> {
    let url = if target.starts_with("http://") || target.starts_with("https://") {
        Url::parse(target)
    } else {
        base.join(target.trim_start_matches('/'))
    }
    .map_err(|e| Error::internal(format!("building URL for {target}: {e}")))?;
    let long = url.path().len() + url.query().map_or(0, |q| q.len() + 1);
    if long > MAX_TARGET {
        let start: String = target.chars().take(60).collect();
        return Err(Error::usage(format!(
            "the request {method} {start}... would be {long} bytes long, over the {MAX_TARGET} \
             a management API accepts"
        ))
        .into());
    }
    Ok(url)
}

/// The broker's reason with every Erlang char list (`[105,110,118]`, a string the broker
/// formatted with `~p`) written as the text it stands for (`"inv"`).
pub fn readable_reason(reason: &str) -> String {
    // The management API HTML-escapes some reasons (`&lt;&lt;"lots"&gt;&gt;`).
    let unescaped = reason
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let reason = unescaped.trim();
    let mut out = String::with_capacity(reason.len());
    let mut rest = reason;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let decoded = after.find(']').and_then(|close| {
            let chars: Option<String> = after[..close]
                .split(',')
                .map(|n| n.trim().parse::<u32>().ok().and_then(char::from_u32))
                .collect();
            chars
                .filter(|s| {
                    s.chars().count() >= 2 && s.chars().all(|c| !c.is_control() || c == '\n')
                })
                .map(|s| (s, close))
        });
        match decoded {
            Some((text, close)) => {
                out.push_str(&format!("\"{text}\""));
                rest = &after[close + 1..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The reqwest client: `timeout` bounds the connection and, [`WHOLE_REQUEST`] times over, a
/// whole request. An idle pooled connection is dropped after 4 s: the broker's web server
/// (Cowboy, `request_timeout` 5 s) closes a keep-alive connection idle for 5 s, and a request
/// sent on one as it closes fails with "connection closed before message completed" (seen
/// by doctor, whose second sample comes 5 s after the first).
fn client(files: &TlsFiles, timeout: std::time::Duration, https: bool) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(4))
        .timeout(timeout * WHOLE_REQUEST)
        .user_agent(concat!("warren/", env!("CARGO_PKG_VERSION")));
    if https {
        builder = builder.tls_backend_preconfigured(tls::client_config(files)?);
    }
    builder
        .build()
        .map_err(|e| Error::internal(format!("building the HTTP client: {e}")).into())
}

/// Credentials for [`ManagementApi::raw`].
#[derive(Clone, Copy, Debug)]
pub enum Auth<'a> {
    /// The configured user and password.
    Configured,
    /// Other credentials (the audit's guest probe).
    Basic(&'a str, &'a str),
    /// No Authorization header.
    Anonymous,
}

/// An answer from [`ManagementApi::raw`]; header names are lower-case.
#[derive(Clone, Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Send `request` and read its whole answer: the answer must start within `start` (a
/// server that accepts the connection and never answers fails like an unreachable one) and
/// end, body included, within `whole`. A body that stops or breaks off is unreachable too.
async fn exchange(
    request: reqwest::RequestBuilder,
    base: &Url,
    server_name: Option<&str>,
    what: &str,
    start: std::time::Duration,
    whole: std::time::Duration,
) -> Result<RawResponse> {
    let unfinished = || {
        anyhow::Error::from(Error::unreachable(format!(
            "the management API at {base} did not finish its answer to {what} within {}s",
            whole.as_secs_f64()
        )))
    };
    let read = async {
        let response = answer(request, base, server_name, start).await?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.text().await.map_err(|e| {
            if e.is_timeout() {
                return unfinished();
            }
            Error::unreachable(format!(
                "the management API at {base} broke off its answer to {what}: {}",
                innermost(&e)
            ))
            .into()
        })?;
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    };
    tokio::time::timeout(whole, read)
        .await
        .unwrap_or_else(|_| Err(unfinished()))
}

/// Send `request` and wait at most `within` for the response to start.
async fn answer(
    request: reqwest::RequestBuilder,
    base: &Url,
    server_name: Option<&str>,
    within: std::time::Duration,
) -> Result<reqwest::Response> {
    match tokio::time::timeout(within, request.send()).await {
        Ok(result) => result.map_err(|e| transport_error(&e, base, server_name)),
        Err(_) => Err(Error::unreachable(format!(
            "the management API at {base} did not answer within {}s",
            within.as_secs_f64()
        ))
        .into()),
    }
}

/// The last cause of `err`: the one that says what happened.
fn innermost(err: &reqwest::Error) -> String {
    let mut cause = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    cause
}

/// Map a reqwest transport error to a coded error naming the URL (which never holds a password).
fn transport_error(err: &reqwest::Error, base: &Url, server_name: Option<&str>) -> anyhow::Error {
    if let Some(rustls_err) = tls::find_rustls_error(err) {
        let host = base.host_str().unwrap_or("the server");
        let address = match base.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let peer = tls::Peer {
            address: &address,
            name: server_name.unwrap_or(host),
            plain: "http://",
        };
        return tls::explain(rustls_err, peer).into();
    }
    let cause = innermost(err);
    if err.is_builder() {
        // A request warren can't build (a URL or header reqwest refuses) was never sent.
        return Error::usage(format!(
            "could not build the request to the management API at {base}: {cause}"
        ))
        .into();
    }
    if err.is_connect() || err.is_timeout() {
        let why = if err.is_timeout() {
            "timed out".to_string()
        } else {
            cause
        };
        return Error::unreachable(format!("cannot reach the management API at {base}: {why}"))
            .into();
    }
    Error::unreachable(format!(
        "management API request to {base} failed: {err}; {cause}"
    ))
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_char_lists_become_text() {
        assert_eq!(
            readable_reason("{error,{[105,110,118,97,108,105,100],x}} [1]"),
            "{error,{\"invalid\",x}} [1]"
        );
        assert_eq!(readable_reason("plain [a,b]"), "plain [a,b]");
    }

    #[test]
    fn a_request_too_long_to_send_is_a_usage_error() {
        let base = Url::parse("http://localhost:15672").unwrap();
        let long = format!("/api/queues?columns={}", "name,".repeat(2000));
        let err = request_url(&base, &Method::GET, &long).unwrap_err();
        assert_eq!(crate::exit::code_of(&err), Code::Usage);
        assert!(
            err.to_string().contains("would be 10020 bytes long"),
            "{err}"
        );
        assert!(request_url(&base, &Method::GET, "/api/queues?columns=name").is_ok());
    }

    #[test]
    fn an_overview_is_rabbitmqs_when_it_has_a_version() {
        let answer = |status: u16, content_type: &str, body: &str| RawResponse {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        };
        let json = "application/json";
        let said = |a: RawResponse| not_rabbitmq(&a);
        assert_eq!(
            said(answer(200, json, r#"{"rabbitmq_version":"4.0.5"}"#)),
            None
        );
        assert_eq!(
            said(answer(401, json, r#"{"error":"not_authorized"}"#)),
            None
        );
        assert_eq!(
            said(answer(200, json, r#"{"status":"ok"}"#)).as_deref(),
            Some("has no rabbitmq_version")
        );
        assert_eq!(
            said(answer(200, "text/html; charset=utf-8", "<html>")).as_deref(),
            Some("answered text/html, not JSON")
        );
        assert_eq!(
            said(answer(404, "text/html", "<html>")).as_deref(),
            Some("answered 404 Not Found with text/html")
        );
        assert_eq!(said(answer(500, "text/html", "")), None);
        assert_eq!(
            said(answer(400, "", "")).as_deref(),
            Some("answered 400 Bad Request with an empty body")
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(api_path(&["vhosts", "/"]), "/api/vhosts/%2F");
        assert_eq!(api_path(&["queues", "a b", "q.1"]), "/api/queues/a%20b/q.1");
    }
}
