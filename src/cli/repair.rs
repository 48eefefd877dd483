//! `repair`: relink the broken milestones of live trainings ([`crate::restore::precheck_repair`])
//! after the same acceptance rules as a restore: `--dry-run` writes and rolls back, `--yes` is
//! needed when not on a terminal, and the findings (`repair-no-match`, `repair-ambiguous`,
//! `repair-course-missing`) need `--accept CODE`, else nothing is written (exit 4).
//!
//! `--json` prints one object `{outcome, dry_run, trainings: [{id, name, broken, relinks:
//! [{milestone, old_cmid, new_cmid, course_id, course, type, activity}]}], findings,
//! to_accept, error}` (README "Repair").

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::list::filter_by_category;
use super::restore::{ask, codes_text, findings_text, load, parse_accept};
use super::save::resolve_name;
use super::{print_json, print_stdout, Context, Exit, Failure};
use crate::document::v2;
use crate::i18n::Lang;
use crate::restore::{self, Code, RepairPlan, RepairReport, RepairTarget};

/// Arguments of `repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The trainings' exact names, as `list` shows them.
    #[arg(value_name = "TRAINING", conflicts_with_all = ["all", "category"])]
    pub trainings: Vec<String>,
    /// A training by id (when two trainings share a name); repeatable.
    #[arg(long, value_name = "N", conflicts_with_all = ["all", "category"])]
    pub id: Vec<i64>,
    /// Every training of this category or below it (id, idnumber or path).
    #[arg(long, value_name = "ID|IDNUMBER|PATH", conflicts_with = "all")]
    pub category: Option<String>,
    /// Every training of the site.
    #[arg(long)]
    pub all: bool,
    /// A backup file of the training: the activity's type and idnumber must match its
    /// milestone's too.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Write the relinks inside a transaction, then roll it back, and report them.
    #[arg(long)]
    pub dry_run: bool,
    /// Accept findings of these codes (repair-no-match, repair-ambiguous,
    /// repair-course-missing): the other milestones are relinked, these are left as they are.
    #[arg(long, value_delimiter = ',', value_name = "CODE[,CODE...]")]
    pub accept: Vec<String>,
    /// Apply without asking (needed when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// With --from: the largest file read, in bytes [default: 64 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,
}

/// The JSON printed by `repair --json` (README "Repair").
#[derive(Debug, Serialize)]
struct Output<'a> {
    outcome: &'static str,
    dry_run: bool,
    trainings: &'a [restore::TrainingRepair],
    findings: &'a [restore::Finding],
    to_accept: Vec<Code>,
    error: Option<String>,
}

/// Runs `repair`.
pub async fn run(context: &Context, args: &RepairArgs) -> Result<(), Failure> {
    let lang = context.lang;
    if args.trainings.is_empty() && args.id.is_empty() && args.category.is_none() && !args.all {
        return Err(Failure::new(
            Exit::Usage,
            lang.pick(
                "name the trainings to repair, or pass --id N, --category C or --all",
                "indiquez les formations à réparer, ou --id N, --category C ou --all",
            ),
        ));
    }
    let mut accepted = parse_accept(&args.accept, lang)?;
    let from = match &args.from {
        Some(path) => Some(load(context, path, args.max_size.unwrap_or(v2::MAX_FILE_SIZE))?.0),
        None => None,
    };
    let site = context.open_site().await?;
    let result = async {
        let targets = targets(context, &site, args).await?;
        let plan = restore::precheck_repair(&site, &targets, from.as_ref())
            .await
            .map_err(|e| Failure::database(e, lang))?;
        decide_and_apply(context, &site, &plan, args, &mut accepted).await
    }
    .await;
    site.close().await;
    result
}

async fn targets(
    context: &Context,
    site: &crate::moodle::Site,
    args: &RepairArgs,
) -> Result<Vec<RepairTarget>, Failure> {
    let lang = context.lang;
    let list = site
        .list_trainings()
        .await
        .map_err(|e| Failure::database(e, lang))?;
    if args.all || args.category.is_some() {
        let shown = filter_by_category(
            &list.categories,
            &list.trainings,
            args.category.as_deref(),
            lang,
        )?;
        return Ok(shown
            .iter()
            .filter_map(|i| list.trainings.get(*i))
            .map(|t| RepairTarget {
                id: t.id,
                name: t.name.clone(),
            })
            .collect());
    }
    let mut out: Vec<RepairTarget> = Vec::new();
    for id in &args.id {
        let Some(training) = list.trainings.iter().find(|t| t.id == *id) else {
            return Err(Failure::new(
                Exit::TrainingNotFound,
                match lang {
                    Lang::En => format!(
                        "no training has the id {id}: `attestoodle-backup list --json` shows the ids"
                    ),
                    Lang::Fr => format!(
                        "aucune formation n'a l'identifiant {id} : `attestoodle-backup list --json` montre les identifiants"
                    ),
                },
            ));
        };
        if !out.iter().any(|t| t.id == *id) {
            out.push(RepairTarget {
                id: *id,
                name: training.name.clone(),
            });
        }
    }
    for name in &args.trainings {
        let id = resolve_name(site, name, lang).await?;
        if !out.iter().any(|t| t.id == id) {
            out.push(RepairTarget {
                id,
                name: Some(name.clone()),
            });
        }
    }
    Ok(out)
}

async fn decide_and_apply(
    context: &Context,
    site: &crate::moodle::Site,
    plan: &RepairPlan,
    args: &RepairArgs,
    accepted: &mut restore::Accepted,
) -> Result<(), Failure> {
    let lang = context.lang;
    if !context.json {
        print_stdout(&plan_text(plan, lang))?;
    }
    let output = |outcome, to_accept: Vec<Code>, error: Option<String>| Output {
        outcome,
        dry_run: args.dry_run,
        trainings: &plan.trainings,
        findings: &plan.findings,
        to_accept,
        error,
    };
    let refuse = |to_accept: Vec<Code>, message: String| -> Result<(), Failure> {
        if context.json {
            print_json(&output("refused", to_accept, Some(message.clone())))?;
        }
        Err(Failure::new(Exit::PrecheckRefused, message))
    };
    if plan.broken_count() == 0 {
        if context.json {
            return print_json(&output("nothing-to-repair", Vec::new(), None));
        }
        return print_stdout(&format!(
            "{}\n",
            lang.pick(
                "Nothing to repair: no milestone is broken.",
                "Rien à réparer : aucun jalon n'est cassé."
            )
        ));
    }
    let interactive = !args.yes
        && !context.json
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal();
    let unaccepted: Vec<Code> = plan.unaccepted(accepted).into_iter().collect();
    let mut trial = accepted.clone();
    if args.dry_run {
        // A dry run tries every relink, and says what a real run needs.
        trial.codes.extend(plan.needs_accept());
    } else if interactive {
        for code in &unaccepted {
            let count = plan.findings.iter().filter(|f| f.code == *code).count();
            let question = match lang {
                Lang::En => format!(
                    "Accept `{code}` ({count} milestone(s) above left as they are)? [y/N] "
                ),
                Lang::Fr => format!(
                    "Accepter `{code}` ({count} jalon(s) ci-dessus laissé(s) tel(s) quel(s)) ? [o/N] "
                ),
            };
            if !ask(&question)? {
                return refuse(
                    unaccepted.clone(),
                    match lang {
                        Lang::En => format!("`{code}` was not accepted: nothing was written"),
                        Lang::Fr => format!("`{code}` n'a pas été accepté : rien n'a été écrit"),
                    },
                );
            }
            accepted.codes.insert(*code);
        }
        trial = accepted.clone();
        if plan.relink_count() > 0 {
            let n = plan.relink_count();
            let question = match lang {
                Lang::En => format!("Relink {n} milestone(s) now? [y/N] "),
                Lang::Fr => format!("Relier {n} jalon(s) maintenant ? [o/N] "),
            };
            if !ask(&question)? {
                return refuse(
                    Vec::new(),
                    lang.pick(
                        "cancelled: nothing was written",
                        "annulé : rien n'a été écrit",
                    )
                    .to_owned(),
                );
            }
        }
    } else if !unaccepted.is_empty() || !args.yes {
        let needed: Vec<Code> = plan.needs_accept().into_iter().collect();
        let accept = if needed.is_empty() {
            String::new()
        } else {
            format!(" --accept {}", codes_text(&needed))
        };
        let list = codes_text(&unaccepted);
        return refuse(
            unaccepted.clone(),
            match lang {
                Lang::En => format!(
                    "nothing was written: {}to repair without a terminal, run again with --yes{accept}",
                    if unaccepted.is_empty() { String::new() } else { format!("these findings need acceptance: {list} (those milestones are left as they are); ") }
                ),
                Lang::Fr => format!(
                    "rien n'a été écrit : {}pour réparer sans terminal, relancez avec --yes{accept}",
                    if unaccepted.is_empty() { String::new() } else { format!("ces constats demandent une acceptation : {list} (ces jalons sont laissés tels quels) ; ") }
                ),
            },
        );
    }

    let audit = if args.dry_run {
        None
    } else {
        Some(context.open_audit_log()?)
    };
    let repaired = restore::apply_repair(site, plan, &trial, args.dry_run).await;
    if let Some(log) = &audit {
        // A relink writes no operator; the log names the first site administrator, as a
        // restore's planning rows do by default.
        let id = site
            .site_admin_ids()
            .await
            .ok()
            .and_then(|ids| ids.first().copied());
        let username = match id {
            Some(id) => site.username_of(id).await.ok().flatten(),
            None => None,
        };
        let operator = crate::audit::Operator {
            username,
            id,
            client: None,
        };
        for entry in restore::repair_audit_entries("repair", &operator, plan, &trial, &repaired) {
            log.append(&entry)
                .map_err(|e| Failure::new(Exit::Runtime, e.localized(lang)))?;
        }
    }
    match repaired {
        Ok(report) => {
            let still_needed: Vec<Code> = plan.unaccepted(accepted).into_iter().collect();
            if context.json {
                print_json(&output(
                    if report.dry_run {
                        "dry-run"
                    } else {
                        "repaired"
                    },
                    still_needed,
                    None,
                ))
            } else {
                print_stdout(&report_text(&report, &still_needed, lang))
            }
        }
        Err(error) => {
            let (exit, message) = super::restore::restore_failure(&error, lang);
            if context.json {
                print_json(&output("failed", Vec::new(), Some(message.clone())))?;
            }
            Err(Failure::new(exit, message))
        }
    }
}

/// What the repair would do, as an operator reads it.
pub fn plan_text(plan: &RepairPlan, lang: Lang) -> String {
    let c = lang.pick(":", " :");
    let mut out = String::new();
    for t in &plan.trainings {
        let name = t.name.clone().unwrap_or_else(|| format!("#{}", t.id));
        out.push_str(&format!(
            "{} `{name}` (id {}){c} {} {}, {} {}\n",
            lang.pick("Training", "Formation"),
            t.id,
            t.broken,
            lang.pick("broken milestone(s)", "jalon(s) cassé(s)"),
            t.relinks.len(),
            lang.pick("to relink", "à relier"),
        ));
        for r in &t.relinks {
            out.push_str(&format!(
                "  {} {}{c} cm {} → cm {} ({} “{}”, {} {})\n",
                lang.pick("milestone", "jalon"),
                r.milestone,
                r.old_cmid,
                r.new_cmid,
                r.kind,
                r.activity,
                lang.pick("course", "cours"),
                r.course
            ));
        }
    }
    out.push_str(&findings_text(&plan.findings, lang));
    out.push('\n');
    out
}

fn report_text(report: &RepairReport, still_needed: &[Code], lang: Lang) -> String {
    let n = report.relinked;
    let mut out = match (report.dry_run, lang) {
        (true, Lang::En) => {
            format!("Dry run: {n} milestone(s) relinked, then rolled back; nothing changed.\n")
        }
        (true, Lang::Fr) => {
            format!("Essai : {n} jalon(s) relié(s) puis annulé(s) ; rien n'a changé.\n")
        }
        (false, Lang::En) => format!("Repaired: {n} milestone(s) relinked.\n"),
        (false, Lang::Fr) => format!("Réparé : {n} jalon(s) relié(s).\n"),
    };
    if report.dry_run && !still_needed.is_empty() {
        out.push_str(&match lang {
            Lang::En => format!(
                "  A real run needs --yes --accept {}\n",
                codes_text(still_needed)
            ),
            Lang::Fr => format!(
                "  Une vraie exécution demande --yes --accept {}\n",
                codes_text(still_needed)
            ),
        });
    }
    out
}
