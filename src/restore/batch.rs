//! Several trainings at once (README "New academic year"): one precheck per training, on what
//! the site holds read once for all of them ([`gather_all`]), the
//! findings grouped by code across all of them, one acceptance for the whole batch, then each
//! training applied in its own transaction, or all of them in one ([`apply_together`]).
//!
//! A batch adds one rule of its own to the trainings' prechecks: two entries that would write
//! the same training (`batch-duplicate`) block the batch, since the second would silently
//! replace the first.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::finding::{Code, Finding, Severity};
use super::{
    decide, gather_all, Accepted, Plan, RestoreOptions, Status, TemplateAction, TrainingAction,
};
use crate::document::v2::Document;
use crate::moodle::{self, Site};

/// One training of a batch: where it comes from, its document and the options of its
/// precheck (the batch's options, with this file's provenance).
#[derive(Debug, Clone)]
pub struct BatchEntry {
    /// The file it was read from, or the live training it was saved from, as the operator
    /// names it.
    pub origin: String,
    /// The document.
    pub document: Document,
    /// The precheck's options.
    pub options: RestoreOptions,
}

/// Prechecks every entry, then adds the findings that only the batch as a whole shows. The
/// plans are in the order of the entries.
///
/// # Errors
///
/// When the database fails; a mismatch is a finding, never an error.
pub async fn precheck_batch<E: Borrow<BatchEntry>>(
    site: &Site,
    entries: &[E],
) -> Result<Vec<Plan>, moodle::Error> {
    let mut plans = precheck_each(site, entries).await?;
    let origins: Vec<&str> = entries.iter().map(|e| e.borrow().origin.as_str()).collect();
    mark_duplicates(&origins, &mut plans);
    Ok(plans)
}

/// The prechecks of `entries` on what the site holds read once for all of them, without the
/// batch's own rule ([`mark_duplicates`]): a batch too big to hold every document at once is
/// prechecked a slice at a time, each slice's documents dropped once its plans are made, and
/// the rule applied to all the plans at the end.
///
/// # Errors
///
/// When the database fails.
pub async fn precheck_each<E: Borrow<BatchEntry>>(
    site: &Site,
    entries: &[E],
) -> Result<Vec<Plan>, moodle::Error> {
    // The entries may be borrowed: a rollover's documents are not copied to be prechecked.
    let entries: Vec<&BatchEntry> = entries.iter().map(Borrow::borrow).collect();
    // One read for the whole slice (README "New academic year", built for big sites).
    let items: Vec<(&Document, &RestoreOptions)> =
        entries.iter().map(|e| (&e.document, &e.options)).collect();
    let view = gather_all(site, &items).await?;
    Ok(entries
        .iter()
        .map(|entry| decide(&view, &entry.document, &entry.options))
        .collect())
}

/// Two entries that write one training name: each gets a blocking `batch-duplicate` finding
/// naming the other origins (`origins[i]` is that of `plans[i]`).
pub fn mark_duplicates(origins: &[&str], plans: &mut [Plan]) {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, plan) in plans.iter().enumerate() {
        by_name
            .entry(plan.training.name.as_str())
            .or_default()
            .push(index);
    }
    let mut found: Vec<(usize, Finding)> = Vec::new();
    for (name, indexes) in by_name.iter().filter(|(_, i)| i.len() > 1) {
        let origins: Vec<&str> = indexes
            .iter()
            .filter_map(|i| origins.get(*i).copied())
            .collect();
        let list = origins.join(", ");
        for index in indexes {
            found.push((
                *index,
                Finding::new(
                    Code::BatchDuplicate,
                    Severity::Blocking,
                    vec![format!("training {name}")],
                    format!(
                        "{} entries of this batch would write the training `{name}` ({list}): \
                         keep one of them, or restore the others under another name",
                        indexes.len()
                    ),
                    format!(
                        "{} éléments de ce lot écriraient la formation `{name}` ({list}) : \
                         gardez-en un, ou restaurez les autres sous un autre nom",
                        indexes.len()
                    ),
                ),
            ));
        }
    }
    for (index, finding) in found {
        plans[index].findings.push(finding);
    }
}

/// The findings of one code across the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingGroup {
    /// The code.
    pub code: Code,
    /// Its severity.
    pub severity: Severity,
    /// How many findings of this code, in all trainings.
    pub count: usize,
    /// The target names of the trainings that have one, in batch order.
    pub trainings: Vec<String>,
}

/// The findings grouped by code: blocking first, then those to accept, then the rest, each by
/// code.
pub fn group_findings(plans: &[Plan]) -> Vec<FindingGroup> {
    let mut groups: BTreeMap<(std::cmp::Reverse<Severity>, Code), FindingGroup> = BTreeMap::new();
    for plan in plans {
        for finding in &plan.findings {
            let group = groups
                .entry((std::cmp::Reverse(finding.severity), finding.code))
                .or_insert_with(|| FindingGroup {
                    code: finding.code,
                    severity: finding.severity,
                    count: 0,
                    trainings: Vec::new(),
                });
            group.count += 1;
            if group.trainings.last() != Some(&plan.training.name) {
                group.trainings.push(plan.training.name.clone());
            }
        }
    }
    groups.into_values().collect()
}

/// The blocking codes of any training of the batch.
pub fn blocking(plans: &[Plan]) -> BTreeSet<Code> {
    plans.iter().flat_map(Plan::blocking).collect()
}

/// The codes to accept in any training of the batch.
pub fn needs_accept(plans: &[Plan]) -> BTreeSet<Code> {
    plans.iter().flat_map(Plan::needs_accept).collect()
}

/// The codes to accept that `accepted` leaves out (an accepted code counts for every
/// training).
pub fn unaccepted(plans: &[Plan], accepted: &Accepted) -> BTreeSet<Code> {
    plans.iter().flat_map(|p| p.unaccepted(accepted)).collect()
}

/// Written and skipped rows of one kind, as the precheck plans them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Rows the apply writes.
    pub written: usize,
    /// Rows left out.
    pub skipped: usize,
}

impl Counts {
    fn of(statuses: impl Iterator<Item = Status>) -> Counts {
        statuses.fold(Counts::default(), |mut c, status| {
            match status {
                Status::Write => c.written += 1,
                Status::Skip => c.skipped += 1,
            }
            c
        })
    }
}

/// One line of the combined report: a training and what its precheck plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Where it comes from (file, or live training).
    pub origin: String,
    /// The training name in the file.
    pub training: String,
    /// The training name on this site.
    pub target: String,
    /// Create or replace.
    pub action: TrainingAction,
    /// Milestones.
    pub milestones: Counts,
    /// Learners (none when they are left out).
    pub learners: Counts,
    /// The training's template and what happens to it (`None`: the training has none).
    pub template: Option<TemplateSummary>,
    /// The codes of its findings that block or need accepting.
    pub codes: Vec<Code>,
}

/// The training's template in a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateSummary {
    /// Its name on this site.
    pub name: String,
    /// Reuse, create or replace.
    pub action: TemplateAction,
}

/// The report line of `plan`, read from `origin`.
pub fn summary(origin: &str, plan: &Plan) -> Summary {
    let template = plan.training.template.as_ref().and_then(|name| {
        plan.templates
            .iter()
            .find(|t| &t.target_name == name || &t.name == name)
            .map(|t| TemplateSummary {
                name: t.target_name.clone(),
                action: t.action,
            })
    });
    let mut codes: Vec<Code> = plan
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.code)
        .collect();
    codes.sort();
    codes.dedup();
    Summary {
        origin: origin.to_owned(),
        training: plan.source.name.clone(),
        target: plan.training.name.clone(),
        action: plan.training.action,
        milestones: Counts::of(plan.milestones.iter().map(|m| m.status)),
        learners: Counts::of(plan.learners.iter().map(|l| l.status)),
        template,
        codes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_split_written_and_skipped() {
        let c = Counts::of([Status::Write, Status::Skip, Status::Write].into_iter());
        assert_eq!(
            c,
            Counts {
                written: 2,
                skipped: 1
            }
        );
    }
}
