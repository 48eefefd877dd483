//! `repair`: relink the broken milestones of live trainings to the activity of the same course
//! that carries their fingerprint.
//!
//! A milestone is broken when it is an orphan ([`moodle::Orphan`]: its course module, that
//! module's course or its activity type is gone) or its course module is being deleted
//! (`deletioninprogress = 1`). [`precheck_repair`] finds, for each, the activities of its
//! course whose instance name equals the milestone's stored `name` (with `--from FILE`, whose
//! type and idnumber also equal those of the file's milestone of that course and name), that
//! are not being deleted, have completion enabled and are not already a milestone of the
//! training: exactly one is a relink; none or several is a finding (`repair-no-match`,
//! `repair-ambiguous`), and a milestone whose course is gone is `repair-course-missing`. The
//! three findings need acceptance; [`apply_repair`] then writes the relinks in one
//! transaction, after the training's name lock, as a restore does.
//!
//! Only `tool_attestoodle_milestone.moduleid` and `course` are written: `timemodified` is
//! left as it is, so that a save after the repair differs from one before only by the
//! activities' `source_cmid`.
//!
//! Architecture invariant: no SQL here.

use crate::moodle::ids::{CmId, CourseId, MilestoneId, TrainingId};
use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::{Accepted, ApplyOptions, Code, Finding, RestoreError, Severity};
use crate::document::v2::Document;
use crate::moodle::{self, CourseModuleRow, MilestoneLink, Orphan, Site};

/// A training to look at: its id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairTarget {
    /// `tool_attestoodle_training.id`.
    pub id: i64,
    /// The name (`None` when the database holds NULL).
    pub name: Option<String>,
}

/// What `repair` would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairPlan {
    /// Every training looked at, in the order asked.
    pub trainings: Vec<TrainingRepair>,
    /// The broken milestones left as they are, one finding each.
    pub findings: Vec<Finding>,
}

/// One training of a [`RepairPlan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrainingRepair {
    /// The training id.
    pub id: i64,
    /// Its name.
    pub name: Option<String>,
    /// How many of its milestones are broken.
    pub broken: usize,
    /// The milestones relinked: old course module → new.
    pub relinks: Vec<Relink>,
}

/// One milestone relinked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relink {
    /// `tool_attestoodle_milestone.id`.
    pub milestone: i64,
    /// The course module it pointed to.
    pub old_cmid: i64,
    /// The course module it points to after the repair.
    pub new_cmid: i64,
    /// The course id.
    pub course_id: i64,
    /// The course short name.
    pub course: String,
    /// The activity's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The activity's name.
    pub activity: String,
}

impl RepairPlan {
    /// The number of relinks.
    pub fn relink_count(&self) -> usize {
        self.trainings.iter().map(|t| t.relinks.len()).sum()
    }

    /// The number of broken milestones.
    pub fn broken_count(&self) -> usize {
        self.trainings.iter().map(|t| t.broken).sum()
    }

    /// The codes the operator must accept.
    pub fn needs_accept(&self) -> BTreeSet<Code> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::NeedsAccept)
            .map(|f| f.code)
            .collect()
    }

    /// The `needs-accept` codes not in `accepted`.
    pub fn unaccepted(&self, accepted: &Accepted) -> BTreeSet<Code> {
        self.needs_accept()
            .into_iter()
            .filter(|c| !accepted.codes.contains(c))
            .collect()
    }
}

/// What [`apply_repair`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepairReport {
    /// Written, then rolled back.
    pub dry_run: bool,
    /// Milestones relinked.
    pub relinked: usize,
}

/// Whether a milestone is broken, and why.
enum Broken {
    /// The course is gone (or unknown): nothing to search.
    CourseMissing(Option<i64>),
    /// Search the course.
    In(i64, String),
}

fn broken(link: &MilestoneLink) -> Option<Broken> {
    let facts = link.activity.map(|(course, _, kind)| {
        (
            course,
            link.course.as_ref().is_some_and(|c| c.1.is_some()),
            kind,
        )
    });
    let orphan = Orphan::check(facts);
    let deleting = link.activity.is_some_and(|(_, deleting, _)| deleting);
    if orphan.is_none() && !deleting {
        return None;
    }
    match &link.course {
        Some((id, Some(shortname))) => Some(Broken::In(*id, shortname.clone())),
        Some((id, None)) => Some(Broken::CourseMissing(Some(*id))),
        None => Some(Broken::CourseMissing(None)),
    }
}

/// Finds the broken milestones of `targets` and what each can be relinked to; `from` is the
/// backup whose fingerprints (type, idnumber) must match too. Only the database fails it.
pub async fn precheck_repair(
    site: &Site,
    targets: &[RepairTarget],
    from: Option<&Document>,
) -> Result<RepairPlan, moodle::Error> {
    let ids: Vec<i64> = targets.iter().map(|t| t.id).collect();
    let links = site.milestone_links(&ids).await?;
    let mut by_training: HashMap<i64, Vec<&MilestoneLink>> = HashMap::new();
    for link in &links {
        by_training.entry(link.training).or_default().push(link);
    }
    let courses: BTreeSet<i64> = links
        .iter()
        .filter_map(|l| match broken(l) {
            Some(Broken::In(course, _)) => Some(course),
            _ => None,
        })
        .collect();
    let courses: Vec<i64> = courses.into_iter().collect();
    let (_, modules) = site.course_structure(&courses).await?;
    let mut in_course: HashMap<i64, Vec<&CourseModuleRow>> = HashMap::new();
    for module in &modules {
        in_course.entry(module.course).or_default().push(module);
    }

    let mut plan = RepairPlan {
        trainings: Vec::new(),
        findings: Vec::new(),
    };
    for target in targets {
        let label = target
            .name
            .clone()
            .unwrap_or_else(|| format!("#{}", target.id));
        let milestones = by_training.get(&target.id).cloned().unwrap_or_default();
        let used: HashSet<i64> = milestones.iter().map(|m| m.cmid).collect();
        let mut entry = TrainingRepair {
            id: target.id,
            name: target.name.clone(),
            broken: 0,
            relinks: Vec::new(),
        };
        // Candidate chosen → the milestones that chose it (two cannot share one).
        let mut chosen: HashMap<i64, Vec<Relink>> = HashMap::new();
        for link in milestones {
            let Some(state) = broken(link) else {
                continue;
            };
            entry.broken += 1;
            let stored = link.name.clone().unwrap_or_default();
            let subjects = |course: &str| {
                vec![
                    format!("training {label}"),
                    format!("milestone {}", link.id),
                    format!("course {course}"),
                ]
            };
            let (course_id, shortname) = match state {
                Broken::CourseMissing(course) => {
                    let course = course.map_or_else(|| "?".to_owned(), |c| c.to_string());
                    plan.findings.push(Finding::new(
                        Code::RepairCourseMissing,
                        Severity::NeedsAccept,
                        subjects(&format!("id {course}")),
                        format!(
                            "milestone {} of `{label}` (“{stored}”, cm {}): its course (id {course}) no longer exists; left as it is — restore the training from a backup instead (restore FILE)",
                            link.id, link.cmid
                        ),
                        format!(
                            "jalon {} de `{label}` (« {stored} », cm {}) : son cours (id {course}) n'existe plus ; laissé tel quel — restaurez plutôt la formation depuis une sauvegarde (restore FICHIER)",
                            link.id, link.cmid
                        ),
                    ));
                    continue;
                }
                Broken::In(id, shortname) => (id, shortname),
            };
            // The fingerprints the file gives for this milestone, if a file is given.
            let fingerprints: Option<Vec<(Option<&str>, Option<&str>)>> = from.map(|document| {
                document
                    .milestones
                    .iter()
                    .filter(|m| {
                        m.course == shortname
                            && (m.name.as_deref() == link.name.as_deref()
                                || m.activity.name.as_deref() == link.name.as_deref())
                    })
                    .map(|m| (m.activity.kind.as_deref(), m.activity.idnumber.as_deref()))
                    .collect()
            });
            let same_name: Vec<&CourseModuleRow> = in_course
                .get(&course_id)
                .map(|all| {
                    all.iter()
                        .copied()
                        .filter(|m| {
                            link.name.is_some()
                                && m.name == link.name
                                && m.cmid != link.cmid
                                && !m.deletion_in_progress
                                && m.kind.is_some()
                        })
                        .filter(|m| {
                            fingerprints.as_ref().is_none_or(|f| {
                                f.iter().any(|(kind, idnumber)| {
                                    *kind == m.kind.as_deref() && *idnumber == m.idnumber_set()
                                })
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let eligible: Vec<&CourseModuleRow> = same_name
                .iter()
                .copied()
                .filter(|m| m.completion != 0 && !used.contains(&m.cmid))
                .collect();
            match eligible.as_slice() {
                [one] => chosen.entry(one.cmid).or_default().push(Relink {
                    milestone: link.id,
                    old_cmid: link.cmid,
                    new_cmid: one.cmid,
                    course_id,
                    course: shortname.clone(),
                    kind: one.kind.clone().unwrap_or_default(),
                    activity: stored.clone(),
                }),
                [] => {
                    let why_en = match (same_name.len(), &fingerprints) {
                        (0, Some(f)) if f.is_empty() => {
                            " (the backup file has no milestone of that name in this course)"
                                .to_owned()
                        }
                        (0, Some(_)) => " with the type and idnumber of the backup file".to_owned(),
                        (0, None) => String::new(),
                        (_, _) => format!(
                            " that has completion enabled and is not already a milestone of the training (cm {})",
                            cm_list(&same_name)
                        ),
                    };
                    let why_fr = match (same_name.len(), &fingerprints) {
                        (0, Some(f)) if f.is_empty() => {
                            " (le fichier de sauvegarde n'a pas de jalon de ce nom dans ce cours)"
                                .to_owned()
                        }
                        (0, Some(_)) => {
                            " avec le type et l'idnumber du fichier de sauvegarde".to_owned()
                        }
                        (0, None) => String::new(),
                        (_, _) => format!(
                            " dont l'achèvement est activé et qui n'est pas déjà un jalon de la formation (cm {})",
                            cm_list(&same_name)
                        ),
                    };
                    plan.findings.push(Finding::new(
                        Code::RepairNoMatch,
                        Severity::NeedsAccept,
                        subjects(&shortname),
                        format!(
                            "milestone {} of `{label}` (“{stored}”, cm {}): no activity of course {shortname} has that name{why_en}; left as it is — re-create the activity, or remove the milestone in Attestoodle",
                            link.id, link.cmid
                        ),
                        format!(
                            "jalon {} de `{label}` (« {stored} », cm {}) : aucune activité du cours {shortname} ne porte ce nom{why_fr} ; laissé tel quel — recréez l'activité, ou retirez le jalon dans Attestoodle",
                            link.id, link.cmid
                        ),
                    ));
                }
                several => plan.findings.push(ambiguous(
                    link,
                    &label,
                    &stored,
                    &shortname,
                    &cm_list(several),
                )),
            }
        }
        let mut relinks: Vec<Relink> = Vec::new();
        for (_, mut claims) in chosen {
            if claims.len() == 1 {
                relinks.append(&mut claims);
            } else {
                // Two broken milestones of one training lead to one activity.
                for claim in &claims {
                    let link = MilestoneLink {
                        id: claim.milestone,
                        training: target.id,
                        cmid: claim.old_cmid,
                        name: Some(claim.activity.clone()),
                        milestone_course: Some(claim.course_id),
                        activity: None,
                        course: None,
                    };
                    plan.findings.push(ambiguous(
                        &link,
                        &label,
                        &claim.activity,
                        &claim.course,
                        &claim.new_cmid.to_string(),
                    ));
                }
            }
        }
        relinks.sort_by_key(|r| r.milestone);
        entry.relinks = relinks;
        plan.trainings.push(entry);
    }
    Ok(plan)
}

fn cm_list(modules: &[&CourseModuleRow]) -> String {
    modules
        .iter()
        .map(|m| m.cmid.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn ambiguous(
    link: &MilestoneLink,
    label: &str,
    stored: &str,
    shortname: &str,
    cms: &str,
) -> Finding {
    Finding::new(
        Code::RepairAmbiguous,
        Severity::NeedsAccept,
        vec![
            format!("training {label}"),
            format!("milestone {}", link.id),
            format!("course {shortname}"),
        ],
        format!(
            "milestone {} of `{label}` (“{stored}”, cm {}): several activities of course {shortname} can be it (cm {cms}); left as it is — give the others another name, or relink the milestone in Attestoodle",
            link.id, link.cmid
        ),
        format!(
            "jalon {} de `{label}` (« {stored} », cm {}) : plusieurs activités du cours {shortname} peuvent lui correspondre (cm {cms}) ; laissé tel quel — renommez les autres, ou reliez le jalon dans Attestoodle",
            link.id, link.cmid
        ),
    )
}

/// Writes the relinks of `plan` in one transaction (rolled back on `dry_run`), after the name
/// lock of each training; refuses when a `needs-accept` finding is not accepted, and when a
/// milestone or its new activity changed since the precheck.
pub async fn apply_repair(
    site: &Site,
    plan: &RepairPlan,
    accepted: &Accepted,
    dry_run: bool,
) -> Result<RepairReport, RestoreError> {
    let options = ApplyOptions {
        dry_run,
        ..ApplyOptions::default()
    };
    apply_repair_with(site, plan, accepted, &options).await
}

/// [`apply_repair`] with every option of a restore's apply, the test hooks included
/// (`fail_after_statements`, `drop_connection`: `tests/faults.rs`).
pub async fn apply_repair_with(
    site: &Site,
    plan: &RepairPlan,
    accepted: &Accepted,
    options: &ApplyOptions,
) -> Result<RepairReport, RestoreError> {
    let dry_run = options.dry_run;
    let unaccepted: Vec<Code> = plan.unaccepted(accepted).into_iter().collect();
    if !unaccepted.is_empty() {
        return Err(RestoreError::Refused {
            blocking: Vec::new(),
            unaccepted,
        });
    }
    let mut tx = site.begin_restore().await?;
    tx.inject_failure(options.injected_failure());
    let mut relinked = 0;
    for training in plan.trainings.iter().filter(|t| !t.relinks.is_empty()) {
        let lock = training
            .name
            .clone()
            .unwrap_or_else(|| format!("#{}", training.id));
        let written = async {
            tx.lock_name("training", &lock).await?;
            for r in &training.relinks {
                if !tx
                    .relink_milestone(
                        MilestoneId(r.milestone),
                        TrainingId(training.id),
                        CmId(r.old_cmid),
                        CmId(r.new_cmid),
                        CourseId(r.course_id),
                    )
                    .await?
                {
                    return Ok(Some(r));
                }
            }
            Ok::<_, moodle::Error>(None)
        }
        .await;
        match written {
            Ok(None) => relinked += training.relinks.len(),
            Ok(Some(r)) => {
                let _ = tx.rollback().await;
                return Err(RestoreError::Conflict {
                    en: format!(
                        "milestone {} of `{lock}` or the activity cm {} changed since the precheck: nothing was written; run repair again",
                        r.milestone, r.new_cmid
                    ),
                    fr: format!(
                        "le jalon {} de `{lock}` ou l'activité cm {} a changé depuis la vérification : rien n'a été écrit ; relancez repair",
                        r.milestone, r.new_cmid
                    ),
                });
            }
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(RestoreError::Database(e));
            }
        }
    }
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(RepairReport { dry_run, relinked })
}

/// The audit log's lines of a repair: one per training with relinks, from the outcome.
pub fn repair_audit_entries(
    via: &str,
    operator: &crate::audit::Operator,
    plan: &RepairPlan,
    accepted: &Accepted,
    outcome: &Result<RepairReport, RestoreError>,
) -> Vec<crate::audit::Entry> {
    use crate::audit;
    plan.trainings
        .iter()
        .filter(|t| !t.relinks.is_empty())
        .map(|t| {
            let mut entry = audit::Entry::now(
                via,
                operator.clone(),
                audit::Source {
                    live_training: Some(t.id),
                    ..audit::Source::default()
                },
                audit::Training {
                    id: Some(t.id),
                    name: t.name.clone().unwrap_or_default(),
                    action: "repair".to_owned(),
                },
            );
            entry.accepted = accepted
                .codes
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect();
            match outcome {
                Ok(_) => {
                    entry.written.milestones = t.relinks.len();
                    entry.skipped = t.broken.saturating_sub(t.relinks.len());
                }
                Err(error) => {
                    entry.outcome = match error {
                        RestoreError::Database(_) => audit::Outcome::Failed,
                        _ => audit::Outcome::RolledBack,
                    };
                    entry.reason = Some(error.localized(crate::i18n::Lang::En));
                    entry.reason_fr = Some(error.localized(crate::i18n::Lang::Fr));
                }
            }
            entry
        })
        .collect()
}
