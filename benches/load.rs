//! Benchmark (not a timed test): the web server under load (issue 16, item 4).
//!
//! Starts `serve` (the built binary) on a free port of 127.0.0.1 against a SQLite site that
//! holds one big generated training (10,000 learners, 500 milestones) and a site
//! administrator; logs 50 clients in once each, then runs a bounded number of requests from
//! all of them at once: the list of trainings, the training's page, its *Download backup*,
//! and the upload of a backup (the training cut to 100 learners) for a precheck. Meanwhile another client guesses passwords. Prints the
//! requests, the errors (every response must be the one a browser expects), the latency
//! percentiles beside a floor measured in the same run (one request at a time), the server's
//! peak memory (VmHWM of /proc/PID/status), and the login throttling's answers to the
//! guesser. Exits 1 when a request failed or the guesser was not throttled.
//!
//! ```sh
//! cargo bench --bench load
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use attestoodle_backup::demo;
use attestoodle_backup::document::v2;
use attestoodle_backup::document::{keys, signature};
use attestoodle_backup::moodle::{fixture, Site, Target};
use axum::body::Bytes;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

const CLIENTS: usize = 50;
/// Rounds per client; each round is a list, a training page and an upload, and every fifth
/// also downloads the big training.
const ROUNDS: usize = 10;
const LEARNERS: usize = 10_000;
const MILESTONES: usize = 500;
const BIG: &str = "Formation de référence";
/// The uploads: the big training cut to this many learners and milestones, under a new name.
const UPLOAD_LEARNERS: usize = 100;
const UPLOAD_MILESTONES: usize = 50;

type Http = Client<HttpConnector, Full<Bytes>>;
type Failure = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("load benchmark: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("load benchmark: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The server process, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A SQLite site holding the generated training and a site administrator (the demo's name
/// and password); gives the training's id.
async fn generated_site(database: &Path) -> Result<i64, Failure> {
    let site = Site::connect(&Target::sqlite_file(database, true)).await?;
    fixture::create_schema(&site).await?;
    let big = demo::seed_generated(&site, BIG, LEARNERS, MILESTONES).await?;
    let hash = bcrypt::hash(demo::DEMO_ADMIN_PASSWORD, 10)?.replacen("$2b$", "$2y$", 1);
    let mut w = fixture::Writer::begin(&site).await?;
    let admin = w
        .insert(
            "user",
            &[
                ("auth", "manual".into()),
                ("confirmed", 1.into()),
                ("mnethostid", 1.into()),
                ("username", demo::DEMO_ADMIN_USERNAME.into()),
                ("password", hash.into()),
                ("firstname", "Admin".into()),
                ("lastname", "Charge".into()),
                ("email", "admin@load.example".into()),
            ],
        )
        .await?;
    w.insert(
        "config",
        &[
            ("name", "siteadmins".into()),
            ("value", admin.to_string().into()),
        ],
    )
    .await?;
    w.commit().await?;
    site.close().await;
    Ok(big)
}

/// The big training's backup cut to a few learners and milestones under a new name, signed
/// with the site's key: what the clients upload for a precheck.
fn small_backup(big: &[u8], key: &ed25519_dalek::SigningKey) -> Result<Vec<u8>, Failure> {
    let mut document = v2::parse(big)?;
    document.training.name = "Formation envoyée".to_owned();
    document.milestones.truncate(UPLOAD_MILESTONES);
    document.learners.truncate(UPLOAD_LEARNERS);
    let kept: Vec<String> = document.learners.iter().map(|l| l.email.clone()).collect();
    document.learner_styles.retain(|s| kept.contains(&s.email));
    signature::sign(&mut document, key);
    Ok(v2::to_text(&document).into_bytes())
}

/// The binary with a clean environment: its keys in `dir/keys`, no configuration file.
fn tool(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_attestoodle-backup"));
    command
        .current_dir(dir)
        .env("ATTESTOODLE_KEY_DIR", dir.join("keys"))
        .env("ATTESTOODLE_CONFIG", "/dev/null")
        .env_remove("ATTESTOODLE_DB")
        .env_remove("MOODLE_CONFIG")
        .env("HOME", dir);
    command
}

async fn run() -> Result<bool, Failure> {
    let dir = tempfile::tempdir()?;
    let database = dir.path().join("site.sqlite");
    let started = Instant::now();
    let big = generated_site(&database).await?;
    let key = keys::generate();
    keys::write_private_key(&dir.path().join("keys").join(keys::PRIVATE_KEY_FILE), &key)?;
    let db = format!("sqlite://{}", database.display());
    let saved = tool(dir.path())
        .args(["--db", &db, "save", BIG, "-o", "big.json"])
        .output()?;
    if !saved.status.success() {
        return Err(String::from_utf8_lossy(&saved.stderr).into_owned().into());
    }
    let upload = small_backup(&std::fs::read(dir.path().join("big.json"))?, &key)?;
    println!(
        "site with a training of {LEARNERS} learners and {MILESTONES} milestones made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = Server(
        tool(dir.path())
            .args([
                "--db",
                &db,
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            return Err("the server does not answer".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let http: Http = Client::builder(TokioExecutor::new()).build_http();

    // The floor: each kind of request alone on an idle server (the median of a few).
    let one = Browser::log_in(&http, &base, demo::DEMO_ADMIN_PASSWORD).await?;
    let mut floor: Vec<(&str, Duration)> = Vec::new();
    let mut size = 0;
    for what in ["list", "page", "upload", "download"] {
        let mut times = Vec::new();
        for _ in 0..5 {
            let (status, elapsed, bytes) = match what {
                "list" => one.get(&http, "/").await?,
                "page" => one.get(&http, &format!("/trainings/{big}")).await?,
                "upload" => one.upload(&http, &upload).await?,
                _ => {
                    one.get(&http, &format!("/trainings/{big}/backup.json"))
                        .await?
                }
            };
            expect(status, StatusCode::OK, what)?;
            if what == "download" {
                size = bytes;
            }
            times.push(elapsed);
        }
        times.sort();
        floor.push((what, percentile(&times, 50)));
    }
    // Issue 13: the web's download of the big training beside the command line's `save` of
    // it, whole process (start, connect, read, sign, write), each the median of five.
    let mut saves = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let saved = tool(dir.path())
            .args(["--db", &db, "save", BIG, "-o", "again.json", "--force"])
            .output()?;
        saves.push(started.elapsed());
        if !saved.status.success() {
            return Err(String::from_utf8_lossy(&saved.stderr).into_owned().into());
        }
    }
    saves.sort();
    let cli_save = percentile(&saves, 50);
    let cpu_before = cpu_seconds(server.0.id());

    let started = Instant::now();
    let mut logins = Vec::new();
    for _ in 0..CLIENTS {
        let http = http.clone();
        let base = base.clone();
        logins.push(tokio::spawn(async move {
            Browser::log_in(&http, &base, demo::DEMO_ADMIN_PASSWORD).await
        }));
    }
    let mut browsers = Vec::new();
    for login in logins {
        browsers.push(login.await??);
    }
    println!(
        "{CLIENTS} clients logged in in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let upload = Arc::new(upload);
    let started = Instant::now();
    let guesser = tokio::spawn(guess_passwords(http.clone(), base.clone()));
    let mut tasks = Vec::new();
    for browser in browsers {
        let http = http.clone();
        let upload = Arc::clone(&upload);
        tasks.push(tokio::spawn(async move {
            let mut seen: Vec<(&'static str, Duration, Option<String>)> = Vec::new();
            for round in 0..ROUNDS {
                let mut record =
                    |what, result: Result<(StatusCode, Duration, usize), Failure>| match result {
                        Ok((status, elapsed, _)) if status == StatusCode::OK => {
                            seen.push((what, elapsed, None));
                        }
                        Ok((status, elapsed, _)) => {
                            seen.push((what, elapsed, Some(format!("{what}: {status}"))));
                        }
                        Err(e) => seen.push((what, Duration::ZERO, Some(format!("{what}: {e}")))),
                    };
                record("list", browser.get(&http, "/").await);
                record(
                    "page",
                    browser.get(&http, &format!("/trainings/{big}")).await,
                );
                record("upload", browser.upload(&http, &upload).await);
                if round % 5 == 0 {
                    record(
                        "download",
                        browser
                            .get(&http, &format!("/trainings/{big}/backup.json"))
                            .await,
                    );
                }
            }
            seen
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await?);
    }
    let wall = started.elapsed();
    let guessed = guesser.await??;
    let peak = peak_memory(server.0.id());
    let cpu_after = cpu_seconds(server.0.id());
    drop(server);

    let errors: Vec<&String> = all.iter().filter_map(|(_, _, e)| e.as_ref()).collect();
    let mut latencies: Vec<Duration> = all.iter().map(|(_, d, _)| *d).collect();
    latencies.sort();
    println!(
        "{} requests from {CLIENTS} clients in {:.1} s ({:.0} per second), errors: {}",
        all.len(),
        wall.as_secs_f64(),
        all.len() as f64 / wall.as_secs_f64(),
        errors.len()
    );
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    println!(
        "latency: p50 {} ms, p99 {} ms, max {} ms; the server used {:.0} s of CPU in {:.0} s",
        ms(percentile(&latencies, 50)),
        ms(percentile(&latencies, 99)),
        ms(latencies.last().copied().unwrap_or_default()),
        cpu_after - cpu_before,
        wall.as_secs_f64()
    );
    for &(what, alone) in &floor {
        let mut of: Vec<Duration> = all
            .iter()
            .filter(|(w, _, _)| *w == what)
            .map(|(_, d, _)| *d)
            .collect();
        of.sort();
        println!(
            "  {what:8} {:4} requests: p50 {} ms, p99 {} ms, max {} ms (alone: {} ms{})",
            of.len(),
            ms(percentile(&of, 50)),
            ms(percentile(&of, 99)),
            ms(of.last().copied().unwrap_or_default()),
            ms(alone),
            if what == "download" {
                format!(", {} KiB", size / 1024)
            } else {
                String::new()
            }
        );
    }
    if let Some((_, download)) = floor.iter().find(|(what, _)| *what == "download") {
        println!(
            "download alone {} ms beside the command line's save of the same training {} ms \
             (whole process): {:.2}x",
            ms(*download),
            ms(cli_save),
            download.as_secs_f64() / cli_save.as_secs_f64().max(1e-9)
        );
    }
    match peak {
        Some(kib) => println!("server peak memory (VmHWM): {} MiB", kib / 1024),
        None => println!("server peak memory: /proc/PID/status not readable"),
    }
    println!(
        "password guesser: {} wrong passwords answered 401, then {} attempts answered 429 \
         (the right password included: {})",
        guessed.refused, guessed.throttled, guessed.right_password_throttled
    );
    Ok(errors.is_empty() && guessed.throttled > 0 && guessed.right_password_throttled)
}

fn expect(status: StatusCode, wanted: StatusCode, what: &str) -> Result<(), Failure> {
    if status == wanted {
        Ok(())
    } else {
        Err(format!("{what}: {status}, not {wanted}").into())
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) * p).div_ceil(100)]
}

/// VmHWM (KiB) of a process.
fn peak_memory(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(PathBuf::from(format!("/proc/{pid}/status"))).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The CPU time (user and system, seconds) a process has used, from /proc/PID/stat (in
/// clock ticks of 1/100 s, as on Linux).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) start at the state, field 3.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(14) + ticks(15)) / 100.0
}

/// What the login throttling answered a client guessing the administrator's password.
struct Guessed {
    refused: usize,
    throttled: usize,
    right_password_throttled: bool,
}

/// Guesses the administrator's password during the load, one try every 100 ms, until the
/// throttling answers; then tries the right password, which must be refused too.
async fn guess_passwords(http: Http, base: String) -> Result<Guessed, Failure> {
    let mut guessed = Guessed {
        refused: 0,
        throttled: 0,
        right_password_throttled: false,
    };
    for n in 0..20 {
        let (status, _) = Browser::try_log_in(&http, &base, &format!("guess-{n}")).await?;
        match status {
            StatusCode::UNAUTHORIZED => guessed.refused += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                guessed.throttled += 1;
                break;
            }
            other => return Err(format!("a wrong password answered {other}").into()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _) = Browser::try_log_in(&http, &base, demo::DEMO_ADMIN_PASSWORD).await?;
    if status == StatusCode::TOO_MANY_REQUESTS {
        guessed.throttled += 1;
        guessed.right_password_throttled = true;
    }
    Ok(guessed)
}

/// A logged-in client: its session cookie and CSRF token.
struct Browser {
    base: String,
    cookie: String,
    csrf: String,
}

const BOUNDARY: &str = "LoadBoundary7c1e";

impl Browser {
    fn request(&self, method: Method, path: &str) -> axum::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
    }

    async fn send(
        http: &Http,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Duration, Bytes, Option<String>), Failure> {
        let started = Instant::now();
        let response = http.request(request).await?;
        let status = response.status();
        let cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, started.elapsed(), body, cookie))
    }

    async fn get(&self, http: &Http, path: &str) -> Result<(StatusCode, Duration, usize), Failure> {
        let request = self
            .request(Method::GET, path)
            .body(Full::new(Bytes::new()))?;
        let (status, elapsed, body, _) = Browser::send(http, request).await?;
        Ok((status, elapsed, body.len()))
    }

    /// Uploads a backup on *Restore or clone* (a precheck, nothing applied).
    async fn upload(
        &self,
        http: &Http,
        file: &[u8],
    ) -> Result<(StatusCode, Duration, usize), Failure> {
        let mut body = Vec::with_capacity(file.len() + 512);
        for (name, value) in [("csrf", self.csrf.as_str()), ("mode", "restore")] {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n\
                     {value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"backup.json\"\r\nContent-Type: application/json\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let request = self
            .request(Method::POST, "/restore")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Full::new(Bytes::from(body)))?;
        let (status, elapsed, body, _) = Browser::send(http, request).await?;
        Ok((status, elapsed, body.len()))
    }

    /// Opens the login page and sends the administrator's name with `password`: the status,
    /// and the logged-in client when it was accepted.
    async fn try_log_in(
        http: &Http,
        base: &str,
        password: &str,
    ) -> Result<(StatusCode, Option<Browser>), Failure> {
        let mut anonymous = Browser {
            base: base.to_owned(),
            cookie: String::new(),
            csrf: String::new(),
        };
        let request = anonymous
            .request(Method::GET, "/login")
            .body(Full::new(Bytes::new()))?;
        let (_, _, page, cookie) = Browser::send(http, request).await?;
        anonymous.cookie = cookie.ok_or("no session cookie")?;
        anonymous.csrf = csrf_in(&page)?;
        let form = format!(
            "csrf={}&username={}&password={}",
            anonymous.csrf,
            demo::DEMO_ADMIN_USERNAME,
            encode(password)
        );
        let request = anonymous
            .request(Method::POST, "/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(form)))?;
        let (status, _, _, cookie) = Browser::send(http, request).await?;
        if status != StatusCode::SEE_OTHER {
            return Ok((status, None));
        }
        let mut browser = Browser {
            base: base.to_owned(),
            cookie: cookie.ok_or("no new session cookie")?,
            csrf: String::new(),
        };
        let request = browser
            .request(Method::GET, "/")
            .body(Full::new(Bytes::new()))?;
        let (_, _, page, _) = Browser::send(http, request).await?;
        browser.csrf = csrf_in(&page)?;
        Ok((status, Some(browser)))
    }

    async fn log_in(http: &Http, base: &str, password: &str) -> Result<Browser, Failure> {
        match Browser::try_log_in(http, base, password).await? {
            (_, Some(browser)) => Ok(browser),
            (status, None) => Err(format!("the login was answered {status}").into()),
        }
    }
}

fn csrf_in(page: &[u8]) -> Result<String, Failure> {
    let page = String::from_utf8_lossy(page);
    let (_, rest) = page
        .split_once("name=\"csrf\" value=\"")
        .ok_or("a page without a CSRF field")?;
    Ok(rest.split('"').next().unwrap_or("").to_owned())
}

/// Percent-encodes a form value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
