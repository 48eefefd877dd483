//! Writing an accepted plan: one transaction, all or nothing, with the name locked and
//! re-checked inside it.

use std::collections::HashMap;

use super::finding::Code;
use super::{training_page, Report};
use super::{
    Accepted, ApplyOptions, BackgroundAction, Plan, ReportTemplates, RestoreError, Skipped, Status,
    TemplateAction, TrainingAction, Written,
};
use crate::moodle::ids::{CategoryId, CmId, CourseId, TemplateId, TrainingId, UserId};
use crate::moodle::{
    self, LearnerValues, MilestoneValues, PlanningValues, RestoreTx, Site, StyleValues,
    TrainingValues,
};

/// Writes `plan` on `site` in one transaction and reports what was written.
///
/// Refuses ([`RestoreError::Refused`]) a plan with a blocking finding or with a `needs-accept`
/// finding whose code is not in `accepted`, before touching anything. Inside the transaction
/// it locks the training name (and the names of templates it creates), reads them again, and
/// stops with [`RestoreError::Conflict`] when the site changed since the precheck (another
/// restore made the training meanwhile). Any failure rolls everything back; so does
/// `options.dry_run` once everything was written.
pub async fn apply(
    site: &Site,
    plan: &Plan,
    accepted: &Accepted,
    options: &ApplyOptions,
) -> Result<Report, RestoreError> {
    apply_keeping_previous(site, plan, accepted, options, None).await
}

/// What keeps the way back from a replace: called inside the transaction, after the name lock
/// and before anything is written, with the training as `save` reads it. Its error (`en`,
/// `fr`) rolls everything back as [`RestoreError::PreviousNotKept`].
pub type KeepPrevious<'a> =
    &'a (dyn Fn(&moodle::Snapshot) -> Result<(), (String, String)> + Send + Sync);

/// [`apply`], and for a replace (not a dry run) `keep` receives the training as it is before
/// it is overwritten (issue "web": *A way back from a replace*): the CLI writes it to a file,
/// the web offers it as a download. A plan that creates a training never calls `keep`.
///
/// # Errors
///
/// As [`apply`], and [`RestoreError::PreviousNotKept`] when `keep` fails.
pub async fn apply_keeping_previous(
    site: &Site,
    plan: &Plan,
    accepted: &Accepted,
    options: &ApplyOptions,
    keep: Option<KeepPrevious<'_>>,
) -> Result<Report, RestoreError> {
    let category = ready(plan, accepted)?;
    let hashes = store_images(plan, options.dry_run)?;

    let mut tx = site.begin_restore().await?;
    tx.inject_failure(options.injected_failure());
    let keep = keep.filter(|_| !options.dry_run);
    let result = write(&mut tx, plan, category, &hashes, options.dry_run, keep).await;
    match result {
        Ok(mut report) => {
            report.statements = tx.writes();
            report.accepted = accepted_codes(plan, accepted);
            if options.dry_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            Ok(report)
        }
        Err(error) => {
            // The error is what the operator needs; a failing rollback (a dropped
            // connection) changes nothing: the server discards the transaction.
            let _ = tx.rollback().await;
            Err(error)
        }
    }
}

/// Why a training of [`apply_together`] made the whole batch write nothing.
#[derive(Debug)]
pub struct TogetherFailure {
    /// The index of the plan that failed.
    pub index: usize,
    /// Why.
    pub error: RestoreError,
}

/// Writes every plan in ONE transaction (`--all-or-nothing`): every training is written, or
/// none. Each plan is checked as [`apply`] checks it before anything is written; `keeps[i]`
/// keeps the way back of plan `i` when it replaces a training. `fail_in` (tests only) makes
/// the write statement `after` of plan `index` fail.
///
/// # Errors
///
/// The first plan that cannot be written, with its index; nothing is left written.
pub async fn apply_together(
    site: &Site,
    plans: &[&Plan],
    accepted: &Accepted,
    options: &ApplyOptions,
    keeps: &[Option<KeepPrevious<'_>>],
    fail_in: Option<(usize, moodle::InjectedFailure)>,
) -> Result<Vec<Report>, TogetherFailure> {
    let mut categories = Vec::with_capacity(plans.len());
    for (index, plan) in plans.iter().enumerate() {
        categories.push(ready(plan, accepted).map_err(|error| TogetherFailure { index, error })?);
    }
    let mut hashes = Vec::with_capacity(plans.len());
    for (index, plan) in plans.iter().enumerate() {
        hashes.push(
            store_images(plan, options.dry_run)
                .map_err(|error| TogetherFailure { index, error })?,
        );
    }
    let mut tx = site.begin_restore().await.map_err(|e| TogetherFailure {
        index: 0,
        error: e.into(),
    })?;
    let mut reports = Vec::with_capacity(plans.len());
    for (index, plan) in plans.iter().enumerate() {
        let before = tx.writes();
        tx.inject_failure(fail_in.filter(|(i, _)| *i == index).map(|(_, f)| {
            moodle::InjectedFailure {
                after: before + f.after,
                ..f
            }
        }));
        let keep = keeps
            .get(index)
            .copied()
            .flatten()
            .filter(|_| !options.dry_run);
        match write(
            &mut tx,
            plan,
            categories[index],
            &hashes[index],
            options.dry_run,
            keep,
        )
        .await
        {
            Ok(mut report) => {
                report.statements = tx.writes() - before;
                report.accepted = accepted_codes(plan, accepted);
                reports.push(report);
            }
            Err(error) => {
                let _ = tx.rollback().await;
                return Err(TogetherFailure { index, error });
            }
        }
    }
    let end = if options.dry_run {
        tx.rollback().await
    } else {
        tx.commit().await
    };
    end.map_err(|e| TogetherFailure {
        index: plans.len().saturating_sub(1),
        error: e.into(),
    })?;
    Ok(reports)
}

/// The category a plan is written into, once nothing blocks it and every code it needs is
/// accepted.
fn ready(plan: &Plan, accepted: &Accepted) -> Result<i64, RestoreError> {
    let blocking: Vec<Code> = plan.blocking().into_iter().collect();
    let unaccepted: Vec<Code> = plan.unaccepted(accepted).into_iter().collect();
    if !blocking.is_empty() || !unaccepted.is_empty() {
        return Err(RestoreError::Refused {
            blocking,
            unaccepted,
        });
    }
    match &plan.training.category {
        Some(category) => Ok(category.id),
        // A plan without a category has a blocking finding; this only guards the invariant.
        None => Err(RestoreError::Refused {
            blocking: vec![Code::CategoryMissing],
            unaccepted: Vec::new(),
        }),
    }
}

/// The accepted codes a report names: those the plan needed.
fn accepted_codes(plan: &Plan, accepted: &Accepted) -> Vec<Code> {
    accepted
        .codes
        .iter()
        .copied()
        .filter(|c| plan.needs_accept().contains(c))
        .collect()
}

/// Image content goes into the file store first: it is named by its hash, so content that
/// ends up unused after a failure is harmless, while rows without content would not be. A dry
/// run stores nothing.
fn store_images(plan: &Plan, dry_run: bool) -> Result<HashMap<String, String>, RestoreError> {
    let mut hashes: HashMap<String, String> = HashMap::new();
    if dry_run {
        return Ok(hashes);
    }
    if let Some(store) = &plan.internal.file_store {
        for template in &plan.templates {
            if let (BackgroundAction::Store, Some(image)) = (template.background, &template.image) {
                let hash = moodle::store_file_content(&store.filedir, &image.bytes)?;
                hashes.insert(template.target_name.clone(), hash);
                // The `.` directory row points at the empty content, which Moodle's file
                // API keeps in the store too.
                moodle::store_file_content(&store.filedir, b"")?;
            }
        }
    }
    Ok(hashes)
}

async fn write(
    tx: &mut RestoreTx<'_>,
    plan: &Plan,
    category: i64,
    hashes: &HashMap<String, String>,
    dry_run: bool,
    keep: Option<KeepPrevious<'_>>,
) -> Result<Report, RestoreError> {
    let t = &plan.training;
    let now = plan.internal.now;
    let operator = UserId(plan.internal.operator.unwrap_or(0));
    let category = CategoryId(category);

    // Lock the names, training first then templates in order, so that two restores never wait
    // for each other in a circle; then read them again.
    tx.lock_name("training", &t.name).await?;
    let mut created: Vec<&str> = plan
        .templates
        .iter()
        .filter(|p| p.action == TemplateAction::Create)
        .map(|p| p.target_name.as_str())
        .collect();
    created.sort_unstable();
    created.dedup();
    for name in &created {
        tx.lock_name("template", name).await?;
    }
    let now_named = tx.training_ids_named(&t.name).await?;
    let expected: Vec<i64> = t.existing_id.into_iter().collect();
    if now_named != expected {
        return Err(RestoreError::Conflict {
            en: format!(
                "the trainings named `{}` changed since the precheck (another restore or an edit \
                 in Attestoodle): nothing was written; run the command again to see the new \
                 precheck",
                t.name
            ),
            fr: format!(
                "les formations nommées `{}` ont changé depuis la vérification (une autre \
                 restauration ou une modification dans Attestoodle) : rien n'a été écrit ; \
                 relancez la commande pour voir la nouvelle vérification",
                t.name
            ),
        });
    }
    for name in &created {
        if !tx.template_ids_named(name).await?.is_empty() {
            return Err(RestoreError::Conflict {
                en: format!(
                    "a template named `{name}` was created since the precheck: nothing was \
                     written; run the command again"
                ),
                fr: format!(
                    "un modèle nommé `{name}` a été créé depuis la vérification : rien n'a été \
                     écrit ; relancez la commande"
                ),
            });
        }
    }

    let values = TrainingValues {
        name: t.name.clone(),
        category,
        startdate: t.startdate,
        enddate: t.enddate,
        duration: t.duration,
        nbautolaunch: Some(t.nbautolaunch),
        nextlaunch: Some(t.nextlaunch),
        checklearner: t.checklearner,
    };
    let (training, action) = match (t.action, t.existing_id) {
        (TrainingAction::Replace, Some(id)) => {
            if let Some(keep) = keep {
                // Read after the lock and before any write: exactly what is overwritten.
                if let Some(previous) = tx.training_snapshot(id).await? {
                    keep(&previous).map_err(|(en, fr)| RestoreError::PreviousNotKept { en, fr })?;
                }
            }
            let id = TrainingId(id);
            tx.update_training(id, &values).await?;
            tx.clear_training(id, plan.internal.planning_table).await?;
            (id, "replaced")
        }
        _ => (tx.insert_training(&values).await?, "created"),
    };

    let mut templates = ReportTemplates::default();
    let mut skipped = Vec::new();
    let mut ids: HashMap<&str, TemplateId> = HashMap::new();
    for template in &plan.templates {
        let id = match (template.action, template.id) {
            (TemplateAction::Reuse, Some(id)) => {
                templates.reused.push(template.target_name.clone());
                TemplateId(id)
            }
            (TemplateAction::Replace, Some(id)) => {
                let id = TemplateId(id);
                tx.set_template_details(id, &template.details, operator, now)
                    .await?;
                templates.replaced.push(template.target_name.clone());
                id
            }
            (TemplateAction::Create, _) => {
                let id = tx
                    .insert_template(&template.target_name, operator, now)
                    .await?;
                tx.set_template_details(id, &template.details, operator, now)
                    .await?;
                templates.created.push(template.target_name.clone());
                id
            }
            // A reuse without a site template has a blocking finding: nothing to link.
            _ => continue,
        };
        ids.insert(template.target_name.as_str(), id);
        match (
            template.background,
            &template.image,
            &plan.internal.file_store,
        ) {
            (BackgroundAction::Store, Some(image), Some(store)) => {
                let hash = match hashes.get(&template.target_name) {
                    Some(hash) => hash.clone(),
                    // A dry run writes no content: the rows are tried with the content's hash.
                    None if dry_run => sha1_hex(&image.bytes),
                    None => continue,
                };
                tx.set_background_rows(
                    store,
                    id,
                    &image.filename,
                    &image.mimetype,
                    image.bytes.len() as i64,
                    &hash,
                    operator,
                    now,
                )
                .await?;
                templates
                    .backgrounds_stored
                    .push(template.target_name.clone());
            }
            (BackgroundAction::Skip, Some(image), _) => skipped.push(Skipped {
                kind: "background",
                subject: format!("{} ({})", template.target_name, image.filename),
                code: Some(Code::BackgroundSkipped),
            }),
            _ => {}
        }
    }
    if let Some(name) = &t.template {
        if let Some(id) = ids.get(name.as_str()) {
            tx.insert_train_style(
                training,
                *id,
                t.grpcriteria1.as_deref(),
                t.grpcriteria2.as_deref(),
            )
            .await?;
        }
    }

    let mut milestones = Vec::new();
    for m in &plan.milestones {
        match (m.status, m.cmid, m.course_id) {
            (Status::Write, Some(cmid), Some(course)) => milestones.push(MilestoneValues {
                creditedtime: m.creditedtime,
                cmid: CmId(cmid),
                course: CourseId(course),
                name: m.name.clone(),
                timemodified: now,
            }),
            _ => skipped.push(Skipped {
                kind: "milestone",
                subject: format!(
                    "{} section {} position {}",
                    m.target_course, m.section, m.position
                ),
                code: m.finding,
            }),
        }
    }
    tx.insert_milestones(training, &milestones).await?;

    let mut learners = Vec::new();
    for l in &plan.learners {
        match (l.status, l.userid) {
            (Status::Write, Some(userid)) => learners.push(LearnerValues {
                userid: UserId(userid),
                predelete: l.predelete,
            }),
            _ => skipped.push(Skipped {
                kind: "learner",
                subject: l.email.clone(),
                code: l.finding,
            }),
        }
    }
    tx.insert_learners(training, category, &learners).await?;

    let mut styles = Vec::new();
    for s in &plan.learner_styles {
        match (s.status, s.userid, ids.get(s.template.as_str())) {
            (Status::Write, Some(userid), Some(template)) => styles.push(StyleValues {
                userid: UserId(userid),
                template: *template,
                grpcriteria1: s.values.grpcriteria1.clone(),
                grpcriteria2: s.values.grpcriteria2.clone(),
                enablecertificate: s.values.enablecertificate,
                withdateformat: s.values.withdateformat.clone(),
            }),
            _ => skipped.push(Skipped {
                kind: "learner-style",
                subject: s.email.clone(),
                code: s.finding,
            }),
        }
    }
    tx.insert_styles(training, &styles).await?;

    let mut planning = Vec::new();
    if let Some(operatorid) = plan.planning.operator_id {
        for p in &plan.planning.rows {
            planning.push(PlanningValues {
                executiondate: p.executiondate,
                beginperiod: p.beginperiod,
                endperiod: p.endperiod,
                mailto: p.mailto.clone(),
                operatorid: UserId(operatorid),
                auto: p.auto,
                togenerate: p.togenerate,
            });
        }
    }
    tx.insert_planning(training, &planning).await?;

    // A dry run of a new training used an id that the rollback gives back: the real run gets
    // another one, so a dry run names none.
    let training_id = (!(dry_run && action == "created")).then_some(training.get());
    let page = training_id.map(|id| training_page(category.get(), id));
    Ok(Report {
        dry_run,
        action,
        training_id,
        training_name: t.name.clone(),
        category_id: category.get(),
        url: page.as_ref().and_then(|page| {
            plan.internal
                .wwwroot
                .as_ref()
                .map(|root| format!("{}{page}", root.trim_end_matches('/')))
        }),
        page,
        written: Written {
            milestones: milestones.len(),
            learners: learners.len(),
            learner_styles: styles.len(),
            planning: planning.len(),
        },
        templates,
        skipped,
        accepted: Vec::new(),
        statements: 0,
    })
}

use crate::hex::sha1_hex;
