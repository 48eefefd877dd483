//! What a restore may change, read back: equal [`snapshot`]s mean that nothing was written.

use std::collections::BTreeMap;

use attestoodle_backup::moodle::{fixture, Site};

/// Every row id of the tables a restore writes, and the training columns it may update.
pub async fn snapshot(site: &Site) -> BTreeMap<String, Vec<Option<i64>>> {
    let mut out = BTreeMap::new();
    for (table, column) in [
        ("tool_attestoodle_training", "id"),
        ("tool_attestoodle_training", "categoryid"),
        ("tool_attestoodle_training", "startdate"),
        ("tool_attestoodle_training", "nbautolaunch"),
        ("tool_attestoodle_milestone", "id"),
        ("tool_attestoodle_milestone", "moduleid"),
        ("tool_attestoodle_train_style", "id"),
        ("tool_attestoodle_template", "id"),
        ("tool_attestoodle_template", "timemodified"),
        ("tool_attestoodle_tpl_detail", "id"),
        ("tool_attestoodle_learner", "id"),
        ("tool_attestoodle_user_style", "id"),
        ("tool_taskattestoodle", "id"),
        ("files", "id"),
    ] {
        let values = fixture::int_column(site, table, column)
            .await
            .expect("read a column");
        out.insert(format!("{table}.{column}"), values);
    }
    out
}
