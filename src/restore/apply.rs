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

/// The most trainings [`apply_each`] writes in one transaction.
const GROUP_MAX: usize = 100;

/// Writes each plan as [`apply_keeping_previous`] would, in order: each is written whole or
/// not at all, and one that fails leaves the others written, so that the outcome of each is
/// the outcome of its own transaction (`restore`/`clone` of several files, the rollover).
/// `done(i)` is called once plan `i` has its outcome, in the order of `plans`.
///
/// Plans that create a training on templates the site already has — a rollover's clones:
/// nothing to keep, no template or image to write — are written together, up to
/// [`GROUP_MAX`] in one transaction, with each table's rows of all of them in multi-row
/// inserts (issue 12, built for big sites; docs/decisions.md §23); consecutive groups are
/// written [`Backend::group_writers`] at a time, each on its own connection (their names are
/// all different: a batch that writes one name twice is refused). When a group's transaction
/// fails, each of its plans is written again alone, in its own transaction, so that the one
/// that fails is named and the others are written. A dry run writes each plan alone; a
/// test's injected failure (`ApplyOptions::fail_after_statements`) makes each group's
/// transaction fail, and its plans are then written alone without it.
///
/// [`Backend::group_writers`]: crate::moodle::Backend
pub async fn apply_each(
    site: &Site,
    plans: &[&Plan],
    accepted: &Accepted,
    options: &ApplyOptions,
    keeps: &[Option<KeepPrevious<'_>>],
    mut done: impl FnMut(usize),
) -> Vec<Result<Report, RestoreError>> {
    use futures_util::StreamExt as _;

    let mut results: Vec<Option<Result<Report, RestoreError>>> =
        plans.iter().map(|_| None).collect();
    let mut index = 0;
    while let Some(plan) = plans.get(index) {
        if !groupable(plan, options) {
            let keep = keeps.get(index).copied().flatten();
            results[index] =
                Some(apply_keeping_previous(site, plan, accepted, options, keep).await);
            done(index);
            index += 1;
            continue;
        }
        // The run of groupable plans from here, in groups; outcomes come in order.
        let end = (index..plans.len())
            .find(|&i| !groupable(plans[i], options))
            .unwrap_or(plans.len());
        let run: Vec<usize> = (index..end).collect();
        let groups: Vec<Vec<usize>> = run.chunks(GROUP_MAX).map(<[usize]>::to_vec).collect();
        let mut groups = futures_util::stream::iter(groups)
            .map(|group| async move { write_group(site, plans, &group, accepted, options).await })
            .buffered(site.backend().group_writers());
        while let Some(outcomes) = groups.next().await {
            for (i, result) in outcomes {
                results[i] = Some(result);
                done(i);
            }
        }
        index = end;
    }
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or(Err(RestoreError::BatchRolledBack {
                failed: String::new(),
            }))
        })
        .collect()
}

/// Whether [`apply_each`] may write `plan` together with others: a new training whose
/// templates all exist, in a real run.
fn groupable(plan: &Plan, options: &ApplyOptions) -> bool {
    !options.dry_run
        && plan.training.action == TrainingAction::Create
        && plan.training.existing_id.is_none()
        && plan.templates.iter().all(|t| {
            t.action == TemplateAction::Reuse
                && t.id.is_some()
                && t.background != BackgroundAction::Store
        })
}

/// Writes the plans `indexes` of `plans` (each [`groupable`]) in one transaction, or, when it
/// fails, each alone; gives the outcome of each.
async fn write_group(
    site: &Site,
    plans: &[&Plan],
    indexes: &[usize],
    accepted: &Accepted,
    options: &ApplyOptions,
) -> Vec<(usize, Result<Report, RestoreError>)> {
    let mut outcomes = Vec::with_capacity(indexes.len());
    let mut ready_plans: Vec<(usize, CategoryId)> = Vec::new();
    for &index in indexes {
        match ready(plans[index], accepted) {
            Ok(category) => ready_plans.push((index, CategoryId(category))),
            Err(error) => outcomes.push((index, Err(error))),
        }
    }
    // Without a transaction, each plan alone meets the failure and says it.
    let together = match ready_plans.len() {
        0 | 1 => None,
        _ => site.begin_restore().await.ok(),
    };
    if let Some(mut tx) = together {
        tx.inject_failure(options.injected_failure());
        match write_together(&mut tx, plans, &ready_plans).await {
            // When the commit fails (a lost connection), each plan alone writes its
            // training, or finds it there if the server committed before the loss.
            Ok(written) => {
                if tx.commit().await.is_ok() {
                    outcomes.extend(written.into_iter().map(|(i, mut result)| {
                        if let Ok(report) = &mut result {
                            report.accepted = accepted_codes(plans[i], accepted);
                        }
                        (i, result)
                    }));
                    return sorted(outcomes);
                }
            }
            Err(_) => {
                let _ = tx.rollback().await;
            }
        }
    }
    // A test's injected failure was the group's: each plan alone is written without it.
    let alone = ApplyOptions {
        fail_after_statements: None,
        drop_connection: false,
        ..options.clone()
    };
    for (index, _) in ready_plans {
        let result = apply(site, plans[index], accepted, &alone).await;
        outcomes.push((index, result));
    }
    sorted(outcomes)
}

fn sorted(
    mut outcomes: Vec<(usize, Result<Report, RestoreError>)>,
) -> Vec<(usize, Result<Report, RestoreError>)> {
    outcomes.sort_by_key(|(i, _)| *i);
    outcomes
}

/// The writes of [`write_group`] in `tx`: the training names locked (in order, so that two
/// groups never wait for each other in a circle) and read again — a plan whose name was taken
/// meanwhile gets its conflict and is left out —, then each table's rows of every plan in
/// multi-row inserts. An `Err` leaves the transaction to roll back.
async fn write_together(
    tx: &mut RestoreTx<'_>,
    plans: &[&Plan],
    ready_plans: &[(usize, CategoryId)],
) -> Result<Vec<(usize, Result<Report, RestoreError>)>, RestoreError> {
    let mut names: Vec<&str> = ready_plans
        .iter()
        .map(|(i, _)| plans[*i].training.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    tx.lock_names("training", &names).await?;
    let names: Vec<String> = names.into_iter().map(str::to_owned).collect();
    let taken: std::collections::HashSet<String> = tx
        .trainings_named_in(&names)
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect();

    let mut outcomes = Vec::new();
    let mut going = Vec::new();
    for &(index, category) in ready_plans {
        let plan = plans[index];
        if taken.contains(&plan.training.name) {
            outcomes.push((index, Err(training_changed(&plan.training.name))));
        } else {
            going.push((index, category));
        }
    }
    let values: Vec<TrainingValues> = going
        .iter()
        .map(|(i, category)| training_values(plans[*i], *category))
        .collect();
    let ids = tx.insert_trainings(&values).await?;

    /// What one plan of the group writes.
    struct Rows {
        index: usize,
        training: TrainingId,
        category: CategoryId,
        templates: ReportTemplates,
        skipped: Vec<Skipped>,
        milestones: Vec<MilestoneValues>,
        learners: Vec<LearnerValues>,
        styles: Vec<StyleValues>,
        planning: Vec<PlanningValues>,
    }
    let mut links = Vec::new();
    let mut all = Vec::with_capacity(going.len());
    for ((index, category), training) in going.into_iter().zip(ids) {
        let plan = plans[index];
        let mut templates = ReportTemplates::default();
        let mut skipped = Vec::new();
        let mut ids: HashMap<&str, TemplateId> = HashMap::new();
        for template in &plan.templates {
            // Every template of a grouped plan is reused ([`groupable`]).
            if let Some(id) = template.id {
                templates.reused.push(template.target_name.clone());
                ids.insert(template.target_name.as_str(), TemplateId(id));
                skipped.extend(background_skipped(template));
            }
        }
        if let Some(id) = plan.training.template.as_deref().and_then(|n| ids.get(n)) {
            links.push((
                training,
                *id,
                plan.training.grpcriteria1.as_deref(),
                plan.training.grpcriteria2.as_deref(),
            ));
        }
        let milestones = milestone_rows(plan, &mut skipped);
        let learners = learner_rows(plan, &mut skipped);
        let styles = style_rows(plan, &ids, &mut skipped);
        let planning = planning_rows(plan);
        all.push(Rows {
            index,
            training,
            category,
            templates,
            skipped,
            milestones,
            learners,
            styles,
            planning,
        });
    }
    tx.insert_train_styles(&links).await?;
    let milestones: Vec<_> = all
        .iter()
        .map(|r| (r.training, r.milestones.as_slice()))
        .collect();
    tx.insert_milestones_of(&milestones).await?;
    let learners: Vec<_> = all
        .iter()
        .map(|r| (r.training, r.category, r.learners.as_slice()))
        .collect();
    tx.insert_learners_of(&learners).await?;
    let styles: Vec<_> = all
        .iter()
        .map(|r| (r.training, r.styles.as_slice()))
        .collect();
    tx.insert_styles_of(&styles).await?;
    let planning: Vec<_> = all
        .iter()
        .map(|r| (r.training, r.planning.as_slice()))
        .collect();
    tx.insert_planning_of(&planning).await?;

    for rows in all {
        let written = Written {
            milestones: rows.milestones.len(),
            learners: rows.learners.len(),
            learner_styles: rows.styles.len(),
            planning: rows.planning.len(),
        };
        let report = report(
            plans[rows.index],
            (rows.training, "created"),
            rows.category,
            false,
            written,
            rows.templates,
            rows.skipped,
        );
        outcomes.push((rows.index, Ok(report)));
    }
    Ok(outcomes)
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
        return Err(training_changed(&t.name));
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

    let values = training_values(plan, category);
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
            _ => skipped.extend(background_skipped(template)),
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

    let milestones = milestone_rows(plan, &mut skipped);
    tx.insert_milestones(training, &milestones).await?;
    let learners = learner_rows(plan, &mut skipped);
    tx.insert_learners(training, category, &learners).await?;
    let styles = style_rows(plan, &ids, &mut skipped);
    tx.insert_styles(training, &styles).await?;
    let planning = planning_rows(plan);
    tx.insert_planning(training, &planning).await?;

    let written = Written {
        milestones: milestones.len(),
        learners: learners.len(),
        learner_styles: styles.len(),
        planning: planning.len(),
    };
    Ok(report(
        plan,
        (training, action),
        category,
        dry_run,
        written,
        templates,
        skipped,
    ))
}

/// The training row a plan writes, in `category`.
fn training_values(plan: &Plan, category: CategoryId) -> TrainingValues {
    let t = &plan.training;
    TrainingValues {
        name: t.name.clone(),
        category,
        startdate: t.startdate,
        enddate: t.enddate,
        duration: t.duration,
        nbautolaunch: Some(t.nbautolaunch),
        nextlaunch: Some(t.nextlaunch),
        checklearner: t.checklearner,
    }
}

/// The apply found the training name taken or freed since the precheck.
fn training_changed(name: &str) -> RestoreError {
    RestoreError::Conflict {
        en: format!(
            "the trainings named `{name}` changed since the precheck (another restore or an edit \
             in Attestoodle): nothing was written; run the command again to see the new \
             precheck"
        ),
        fr: format!(
            "les formations nommées `{name}` ont changé depuis la vérification (une autre \
             restauration ou une modification dans Attestoodle) : rien n'a été écrit ; \
             relancez la commande pour voir la nouvelle vérification"
        ),
    }
}

/// A template's image the plan leaves out, as the report names it.
fn background_skipped(template: &super::PlanTemplate) -> Option<Skipped> {
    match (template.background, &template.image) {
        (BackgroundAction::Skip, Some(image)) => Some(Skipped {
            kind: "background",
            subject: format!("{} ({})", template.target_name, image.filename),
            code: Some(Code::BackgroundSkipped),
        }),
        _ => None,
    }
}

/// The milestone rows a plan writes; the others go to `skipped`.
fn milestone_rows(plan: &Plan, skipped: &mut Vec<Skipped>) -> Vec<MilestoneValues> {
    let mut rows = Vec::new();
    for m in &plan.milestones {
        match (m.status, m.cmid, m.course_id) {
            (Status::Write, Some(cmid), Some(course)) => rows.push(MilestoneValues {
                creditedtime: m.creditedtime,
                cmid: CmId(cmid),
                course: CourseId(course),
                name: m.name.clone(),
                timemodified: plan.internal.now,
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
    rows
}

/// The learner rows a plan writes; the others go to `skipped`.
fn learner_rows(plan: &Plan, skipped: &mut Vec<Skipped>) -> Vec<LearnerValues> {
    let mut rows = Vec::new();
    for l in &plan.learners {
        match (l.status, l.userid) {
            (Status::Write, Some(userid)) => rows.push(LearnerValues {
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
    rows
}

/// The learner style rows a plan writes, on the templates `ids` names; the others go to
/// `skipped`.
fn style_rows(
    plan: &Plan,
    ids: &HashMap<&str, TemplateId>,
    skipped: &mut Vec<Skipped>,
) -> Vec<StyleValues> {
    let mut rows = Vec::new();
    for s in &plan.learner_styles {
        match (s.status, s.userid, ids.get(s.template.as_str())) {
            (Status::Write, Some(userid), Some(template)) => rows.push(StyleValues {
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
    rows
}

/// The planning rows a plan writes (none without an operator to name in them).
fn planning_rows(plan: &Plan) -> Vec<PlanningValues> {
    let Some(operatorid) = plan.planning.operator_id else {
        return Vec::new();
    };
    plan.planning
        .rows
        .iter()
        .map(|p| PlanningValues {
            executiondate: p.executiondate,
            beginperiod: p.beginperiod,
            endperiod: p.endperiod,
            mailto: p.mailto.clone(),
            operatorid: UserId(operatorid),
            auto: p.auto,
            togenerate: p.togenerate,
        })
        .collect()
}

/// What the apply of `plan` reports, once `training` was written (`action`: created or
/// replaced).
fn report(
    plan: &Plan,
    (training, action): (TrainingId, &'static str),
    category: CategoryId,
    dry_run: bool,
    written: Written,
    templates: ReportTemplates,
    skipped: Vec<Skipped>,
) -> Report {
    // A dry run of a new training used an id that the rollback gives back: the real run gets
    // another one, so a dry run names none.
    let training_id = (!(dry_run && action == "created")).then_some(training.get());
    let page = training_id.map(|id| training_page(category.get(), id));
    Report {
        dry_run,
        action,
        training_id,
        training_name: plan.training.name.clone(),
        category_id: category.get(),
        url: page.as_ref().and_then(|page| {
            plan.internal
                .wwwroot
                .as_ref()
                .map(|root| format!("{}{page}", root.trim_end_matches('/')))
        }),
        page,
        written,
        templates,
        skipped,
        accepted: Vec::new(),
        statements: 0,
    }
}

use crate::hex::sha1_hex;
