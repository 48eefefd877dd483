//! Test support for repair: activities deleted and re-created as Moodle does, which leaves the
//! milestones that pointed at them broken (shared by `tests/repair.rs` and `tests/faults.rs`).

use attestoodle_backup::moodle::{fixture, Param, Site};

/// The value of an integer column of the row `id` of a fixture table.
pub async fn column_of(site: &Site, table: &str, column: &str, id: i64) -> Option<i64> {
    let ids = fixture::int_column(site, table, "id").await.expect("ids");
    let values = fixture::int_column(site, table, column)
        .await
        .expect("values");
    ids.iter()
        .position(|i| *i == Some(id))
        .and_then(|i| values[i])
}

pub async fn milestone_cmids(site: &Site) -> Vec<Option<i64>> {
    fixture::int_column(site, "tool_attestoodle_milestone", "moduleid")
        .await
        .expect("moduleids")
}

/// Deletes the course module `cmid` as Moodle does, and re-creates `copies` activities of the
/// same type and name in the same course and section (new instance rows, new course modules,
/// the first one at the old one's place in the sequence, the others at the end). Gives the new
/// cmids.
pub async fn delete_and_recreate(
    site: &Site,
    cmid: i64,
    kind: &str,
    name: &str,
    copies: usize,
) -> Vec<i64> {
    recreate(site, cmid, kind, name, copies, false).await
}

/// As [`delete_and_recreate`]; with `flag_only`, the old course module stays, marked as being
/// deleted (Moodle's asynchronous deletion), and the copies go at the end of the section.
pub async fn recreate(
    site: &Site,
    cmid: i64,
    kind: &str,
    name: &str,
    copies: usize,
    flag_only: bool,
) -> Vec<i64> {
    let course = column_of(site, "course_modules", "course", cmid)
        .await
        .expect("course");
    let module = column_of(site, "course_modules", "module", cmid)
        .await
        .expect("module");
    let section = column_of(site, "course_modules", "section", cmid)
        .await
        .expect("section");
    let (sections, modules) = site.course_structure(&[course]).await.expect("structure");
    let idnumber = modules
        .iter()
        .find(|m| m.cmid == cmid)
        .and_then(|m| m.idnumber.clone())
        .unwrap_or_default();
    let sequence = sections
        .iter()
        .find(|s| s.id == section)
        .and_then(|s| s.sequence.clone())
        .unwrap_or_default();
    let mut w = fixture::Writer::begin(site).await.expect("write");
    if flag_only {
        w.update("course_modules", cmid, "deletioninprogress", 1.into())
            .await
            .expect("mark the course module as being deleted");
    } else {
        w.delete_where("course_modules", "id", cmid.into())
            .await
            .expect("delete the course module");
    }
    let mut new = Vec::new();
    for _ in 0..copies {
        let instance = w
            .insert(
                kind,
                &[
                    ("course", course.into()),
                    ("name", name.into()),
                    ("intro", "".into()),
                    ("timemodified", 1_780_000_000.into()),
                ],
            )
            .await
            .expect("a new instance");
        let cm = w
            .insert(
                "course_modules",
                &[
                    ("course", course.into()),
                    ("module", module.into()),
                    ("instance", instance.into()),
                    ("section", section.into()),
                    ("idnumber", idnumber.as_str().into()),
                    ("added", 1_780_000_000.into()),
                    ("completion", 1.into()),
                ],
            )
            .await
            .expect("a new course module");
        new.push(cm);
    }
    let mut items: Vec<String> = sequence
        .split(',')
        .map(|item| {
            if item.trim() == cmid.to_string() && !flag_only {
                new[0].to_string()
            } else {
                item.to_owned()
            }
        })
        .collect();
    let rest = if flag_only { &new[..] } else { &new[1..] };
    items.extend(rest.iter().map(i64::to_string));
    w.update(
        "course_sections",
        section,
        "sequence",
        Param::from(items.join(",")),
    )
    .await
    .expect("the sequence");
    w.commit().await.expect("commit");
    new
}
