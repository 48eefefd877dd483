//! Reading what a login needs: a local user account by username, and the site administrators.

use super::config_php::Secret;
use super::{Error, Site, TxMode};

/// Moodle's `mnet_localhost_id` when the `config` table has no such row.
const DEFAULT_MNET_LOCALHOST_ID: i64 = 1;

/// A local account as a login sees it (moodle-core.md §1, `user`; §7, `password`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginUser {
    /// `user.id`.
    pub id: i64,
    /// `user.username`, as stored (lower-case).
    pub username: String,
    /// `user.auth`: the authentication plugin (`manual`, `email`, `ldap`, `cas`, `nologin`...).
    pub auth: String,
    /// `user.password`: a hash, or a marker such as `not cached`. Never print it.
    pub password: Secret,
    /// `user.deleted`.
    pub deleted: bool,
    /// `user.suspended`.
    pub suspended: bool,
    /// `user.confirmed`: false while a self-registered account awaits its email confirmation.
    pub confirmed: bool,
}

impl Site {
    /// The local account (`mnethostid` = the site's `mnet_localhost_id`) whose username is
    /// exactly `username`, or `None`.
    ///
    /// Moodle stores usernames in lower case; the caller lower-cases what the operator typed.
    /// The comparison is byte for byte on every backend, so a MySQL `_ci` collation cannot
    /// match `Admin` or `admin ` for `admin`.
    pub async fn user_for_login(&self, username: &str) -> Result<Option<LoginUser>, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let local = tx
            .fetch_all(
                self.render("SELECT value FROM {p}config WHERE name = ?"),
                vec!["mnet_localhost_id".into()],
            )
            .await;
        let rows = match local {
            Ok(local) => {
                let mnethostid = match local.first() {
                    Some(row) => parse_id(&row.text("value")?).unwrap_or(DEFAULT_MNET_LOCALHOST_ID),
                    None => DEFAULT_MNET_LOCALHOST_ID,
                };
                let sql = format!(
                    "SELECT id, username, auth, password, deleted, suspended, confirmed FROM {{p}}user \
                     WHERE {} AND mnethostid = ?",
                    self.backend().exact_eq("username")
                );
                tx.fetch_all(self.render(&sql), vec![username.into(), mnethostid.into()])
                    .await
            }
            Err(e) => Err(e),
        };
        tx.rollback().await?;
        let Some(row) = rows?.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(LoginUser {
            id: row.int("id")?,
            username: row.text("username")?,
            auth: row.text("auth")?,
            password: Secret::new(row.text("password")?),
            deleted: row.int("deleted")? != 0,
            suspended: row.int("suspended")? != 0,
            confirmed: row.int("confirmed")? != 0,
        }))
    }

    /// The ids of the site administrators: `$CFG->siteadmins` when config.php forces it, else
    /// the `siteadmins` row of the `config` table (a comma-separated list of user ids).
    ///
    /// Entries that are not ids are ignored; a site without the row has no administrator.
    pub async fn site_admin_ids(&self) -> Result<Vec<i64>, Error> {
        if let Some(forced) = &self.target().siteadmins {
            return Ok(parse_id_list(forced));
        }
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let rows = tx
            .fetch_all(
                self.render("SELECT value FROM {p}config WHERE name = ?"),
                vec!["siteadmins".into()],
            )
            .await;
        tx.rollback().await?;
        match rows?.first() {
            Some(row) => Ok(parse_id_list(&row.text("value")?)),
            None => Ok(Vec::new()),
        }
    }
}

fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse().ok().filter(|id| *id > 0)
}

fn parse_id_list(text: &str) -> Vec<i64> {
    text.split(',').filter_map(parse_id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_lists_keep_only_ids() {
        assert_eq!(parse_id_list("2, 5,,x,-3, 7 "), vec![2, 5, 7]);
        assert!(parse_id_list("").is_empty());
    }
}
