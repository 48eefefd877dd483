//! `serve`: the web interface for the site's administrators.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use super::{Context, Exit, Failure, Io};
use crate::i18n::Lang;
use crate::web::{self, AppState, MoodleSessionLogin, PasswordSettings, WebConfig};

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address and port to listen on. Keep the default behind a reverse proxy.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The path prefix of the pages behind a reverse proxy, such as /attestoodle [default:
    /// none, the pages are at /].
    #[arg(long, value_name = "/PREFIX")]
    pub base_path: Option<String>,
    /// The pages are served over HTTPS (by the reverse proxy): the session cookie gets Secure.
    #[arg(long)]
    pub https: bool,
    /// A reverse proxy is in front: trust its X-Forwarded-For (client address, for login
    /// throttling), X-Forwarded-Proto and X-Forwarded-Host.
    #[arg(long)]
    pub behind_proxy: bool,
    /// The largest upload accepted, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = web::DEFAULT_MAX_UPLOAD / (1024 * 1024))]
    pub max_upload: usize,
    /// Log in the site administrators who are logged in to Moodle, through Moodle's session
    /// cookie and its sessions table (database and file session handlers), as well as by
    /// password.
    #[arg(long)]
    pub moodle_session: bool,
    /// Minutes without a request after which a session ends.
    #[arg(long, value_name = "MINUTES", default_value_t = web::DEFAULT_IDLE_TIMEOUT.as_secs() / 60)]
    pub idle_timeout: u64,
}

/// Runs `serve` until Ctrl-C.
pub async fn run(context: &Context, args: &ServeArgs) -> Result<(), Failure> {
    let lang = context.lang;
    let base_path = WebConfig::normalise_base_path(args.base_path.as_deref().unwrap_or(""))
        .map_err(|message| Failure::new(Exit::Usage, message))?;
    if args.max_upload == 0 || args.idle_timeout == 0 {
        return Err(Failure::new(
            Exit::Usage,
            lang.pick(
                "--max-upload and --idle-timeout must be at least 1",
                "--max-upload et --idle-timeout doivent valoir au moins 1",
            ),
        ));
    }
    let site = context.open_site().await?;
    let target = site.target().clone();
    let mut config = WebConfig::new(context.key_path(), context.trust_dir());
    config.base_path = base_path.clone();
    config.audit_log = context.audit_log_path();
    config.https = args.https;
    config.behind_proxy = args.behind_proxy;
    config.max_upload = args.max_upload.saturating_mul(1024 * 1024);
    config.idle_timeout = Duration::from_secs(args.idle_timeout.saturating_mul(60));
    config.passwords = PasswordSettings {
        salt_main: target.password_salt_main.clone(),
        peppers: target.password_peppers.clone(),
    };
    if args.moodle_session {
        let cookie = site
            .session_cookie_name()
            .await
            .map_err(|e| Failure::database(e, lang))?;
        let elsewhere = target.sessions_elsewhere();
        if let Some(store) = elsewhere {
            eprintln!(
                "{}",
                match lang {
                    Lang::En => format!(
                        "attestoodle-backup: warning: this Moodle keeps its sessions in {store} \
                         ($CFG->session_handler_class), which this tool does not read: \
                         --moodle-session logs nobody in; administrators log in with a password"
                    ),
                    Lang::Fr => format!(
                        "attestoodle-backup : attention : ce Moodle garde ses sessions dans \
                         {store} ($CFG->session_handler_class), que cet outil ne lit pas : \
                         --moodle-session ne connecte personne ; les administrateurs se \
                         connectent avec un mot de passe"
                    ),
                }
            );
        }
        config.moodle_session = Some(MoodleSessionLogin {
            cookie,
            wwwroot: target.wwwroot.clone(),
            elsewhere,
        });
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            let e = crate::i18n::io_reason(&e, lang);
            Failure::new(
                Exit::Runtime,
                match lang {
                    Lang::En => format!(
                        "cannot listen on {}: {e}; choose another address or port with --listen",
                        args.listen
                    ),
                    Lang::Fr => format!(
                        "impossible d'écouter sur {} : {e} ; choisissez une autre adresse ou un autre port avec --listen",
                        args.listen
                    ),
                },
            )
        })?;
    let scheme = if args.https { "https" } else { "http" };
    eprintln!(
        "{}",
        match lang {
            Lang::En => format!(
                "attestoodle-backup: serving {} on {scheme}://{}{base_path}/ (Ctrl-C to stop)",
                target.description, args.listen
            ),
            Lang::Fr => format!(
                "attestoodle-backup : {} servi sur {scheme}://{}{base_path}/ (Ctrl-C pour arrêter)",
                target.description, args.listen
            ),
        }
    );
    if !args.listen.ip().is_loopback() && !args.https {
        eprintln!(
            "{}",
            lang.pick(
                "attestoodle-backup: warning: listening beyond this machine without --https: passwords would cross the network in clear; put an HTTPS reverse proxy in front (README, \"serve\")",
                "attestoodle-backup : attention : écoute au-delà de cette machine sans --https : les mots de passe circuleraient en clair ; placez un proxy inverse HTTPS devant (README, « serve »)",
            )
        );
    }
    web::serve(listener, AppState::new(site, config))
        .await
        .map_err(|e| Failure::io(Io::ServerStopped, &e, lang))
}
