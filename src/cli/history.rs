//! `history`: what was written, from the audit log (one entry per restore, clone, replace or
//! repair). `--json` prints `{"log": PATH, "entries": [...]}`, each entry as it is in the log
//! (README "History").

use clap::Args;
use serde::Serialize;

use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::audit::{self, Entry, Outcome};
use crate::i18n::Lang;

/// Arguments of `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only the entries of this training (its exact name).
    #[arg(long, value_name = "NAME")]
    pub training: Option<String>,
    /// Only the entries made on this day or later (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<String>,
}

#[derive(Serialize)]
struct Output<'a> {
    log: String,
    entries: Vec<&'a Entry>,
}

/// Runs `history`.
pub fn run(context: &Context, args: &HistoryArgs) -> Result<(), Failure> {
    let lang = context.lang;
    if let Some(since) = &args.since {
        if crate::restore::parse_day(since).is_err() {
            return Err(Failure::new(
                Exit::Usage,
                match lang {
                    Lang::En => format!("--since `{since}` is not a day: write YYYY-MM-DD"),
                    Lang::Fr => {
                        format!("--since `{since}` n'est pas un jour : écrivez AAAA-MM-JJ")
                    }
                },
            ));
        }
    }
    let path = context.audit_log_path();
    let entries = audit::read(&path).map_err(|e| Failure::new(Exit::Runtime, e.localized(lang)))?;
    let shown = audit::select(&entries, args.training.as_deref(), args.since.as_deref());
    if context.json {
        return print_json(&Output {
            log: path.display().to_string(),
            entries: shown,
        });
    }
    if shown.is_empty() {
        return print_stdout(&match lang {
            Lang::En => format!("Nothing written yet (audit log {}).\n", path.display()),
            Lang::Fr => format!(
                "Rien d'écrit pour l'instant (journal d'audit {}).\n",
                path.display()
            ),
        });
    }
    let mut out = String::new();
    for entry in shown {
        out.push_str(&entry_text(entry, lang));
    }
    print_stdout(&out)
}

/// One entry as two lines: when, how, who, what, and the outcome; then the source.
pub fn entry_text(e: &Entry, lang: Lang) -> String {
    let who = match (&e.operator.username, e.operator.id) {
        (Some(name), Some(id)) => format!("{name} (id {id})"),
        (Some(name), None) => name.clone(),
        (None, Some(id)) => format!("id {id}"),
        (None, None) => "?".to_owned(),
    };
    let client = e
        .operator
        .client
        .as_ref()
        .map(|c| format!(" {} {c}", lang.pick("from", "depuis")))
        .unwrap_or_default();
    let training = match e.training.id {
        Some(id) => format!("`{}` (id {id})", e.training.name),
        None => format!("`{}`", e.training.name),
    };
    let action = match (e.training.action.as_str(), lang) {
        ("create", Lang::Fr) => "création",
        ("replace", Lang::Fr) => "remplacement",
        ("repair", Lang::Fr) => "réparation",
        (other, _) => other,
    };
    let outcome = match (e.outcome, lang) {
        (Outcome::Committed, Lang::En) => "committed".to_owned(),
        (Outcome::Committed, Lang::Fr) => "validé".to_owned(),
        (Outcome::RolledBack, Lang::En) => "rolled back".to_owned(),
        (Outcome::RolledBack, Lang::Fr) => "annulé".to_owned(),
        (Outcome::Failed, Lang::En) => "failed".to_owned(),
        (Outcome::Failed, Lang::Fr) => "échoué".to_owned(),
    };
    let w = &e.written;
    let written = match lang {
        Lang::En => format!(
            "{} milestone(s), {} learner(s), {} learner style(s), {} planning row(s) written, {} skipped",
            w.milestones, w.learners, w.learner_styles, w.planning, e.skipped
        ),
        Lang::Fr => format!(
            "{} jalon(s), {} apprenant(s), {} style(s) d'apprenant, {} ligne(s) de planification écrits, {} ignoré(s)",
            w.milestones, w.learners, w.learner_styles, w.planning, e.skipped
        ),
    };
    let reason = e
        .reason(lang)
        .map(|r| format!(" — {r}"))
        .unwrap_or_default();
    let c = lang.pick(":", " :");
    let mut out = format!(
        "{}  {}  {who}{client}  {training} {action}{c} {outcome}{reason}\n    {written}",
        e.time, e.via
    );
    if !e.accepted.is_empty() {
        out.push_str(&format!(
            "{} {} {}",
            lang.pick(";", " ;"),
            lang.pick("accepted", "acceptés"),
            e.accepted.join(",")
        ));
    }
    out.push('\n');
    let s = &e.source;
    let source = match (&s.file, s.live_training) {
        (Some(file), _) => {
            let key = match (&s.key_id, s.trusted, lang) {
                (Some(k), true, Lang::En) => format!(", signed by the trusted key {k}"),
                (Some(k), true, Lang::Fr) => format!(", signé par la clé de confiance {k}"),
                (Some(k), false, Lang::En) => format!(", signed by the untrusted key {k}"),
                (Some(k), false, Lang::Fr) => format!(", signé par la clé non reconnue {k}"),
                (None, _, Lang::En) => ", not signed".to_owned(),
                (None, _, Lang::Fr) => ", non signé".to_owned(),
            };
            format!(
                "    {} {file} (SHA-256 {}){key}\n",
                lang.pick("file", "fichier"),
                s.sha256.as_deref().unwrap_or("?")
            )
        }
        (None, Some(id)) => format!(
            "    {} {id}\n",
            lang.pick("from the live training", "depuis la formation en place")
        ),
        (None, None) => String::new(),
    };
    out.push_str(&source);
    out
}
