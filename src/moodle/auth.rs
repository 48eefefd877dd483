//! Reading what a login needs: a local user account by username, the site administrators, and
//! an administrator's live Moodle session (docs/decisions.md §18).

use super::config_php::Secret;
use super::{Error, Site, TxMode};

/// Moodle's `mnet_localhost_id` when the `config` table has no such row.
const DEFAULT_MNET_LOCALHOST_ID: i64 = 1;

/// Moodle's `sessiontimeout` when the `config` table has no such row: 8 hours.
pub const DEFAULT_SESSION_TIMEOUT: i64 = 28_800;

/// The name of Moodle's session cookie before `$CFG->sessioncookie` is appended.
pub const SESSION_COOKIE_PREFIX: &str = "MoodleSession";

/// What Moodle's `sessions` table says of a session id (docs/decisions.md §18).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoodleSession {
    /// A live session of a usable local account.
    LoggedIn(LoginUser),
    /// No row has this session id.
    Unknown,
    /// A visitor who has not logged in (`userid` 0).
    NotLoggedIn,
    /// `state` is not 0: Moodle closed it.
    Closed,
    /// Older than `sessiontimeout` without a request.
    Expired,
    /// The account is deleted, suspended, not confirmed, `nologin` or not a local one.
    AccountRefused,
}

/// A `sessions` row as the check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// `sessions.state`: 0 while the session is usable.
    pub state: i64,
    /// `sessions.userid`: 0 for a visitor who has not logged in.
    pub userid: i64,
    /// `sessions.timemodified`: the last request, Unix seconds.
    pub timemodified: i64,
}

/// Decides what a session row means at `now` (Unix seconds), with Moodle's `timeout` in seconds
/// and the account it names (when it is a local one).
pub fn judge_session(
    row: Option<&SessionRow>,
    user: Option<LoginUser>,
    now: i64,
    timeout: i64,
) -> MoodleSession {
    let Some(row) = row else {
        return MoodleSession::Unknown;
    };
    if row.userid == 0 {
        return MoodleSession::NotLoggedIn;
    }
    if row.state != 0 {
        return MoodleSession::Closed;
    }
    if now.saturating_sub(row.timemodified) > timeout {
        return MoodleSession::Expired;
    }
    match user {
        Some(u) if !u.deleted && !u.suspended && u.confirmed && u.auth != "nologin" => {
            MoodleSession::LoggedIn(u)
        }
        _ => MoodleSession::AccountRefused,
    }
}

/// A local account as a login sees it (docs/moodle-tables.md §1, `user`; §5, `password`).
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
        Ok(Some(login_user(&row)?))
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

impl Site {
    /// The username of account `id` (deleted or not), for the audit log.
    pub async fn username_of(&self, id: i64) -> Result<Option<String>, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let rows = tx
            .fetch_all(
                self.render("SELECT username FROM {p}user WHERE id = ?"),
                vec![id.into()],
            )
            .await;
        tx.rollback().await?;
        match rows?.first() {
            Some(row) => Ok(Some(row.text("username")?)),
            None => Ok(None),
        }
    }
}

impl Site {
    /// The name of Moodle's session cookie: `MoodleSession` followed by `$CFG->sessioncookie`
    /// of config.php when it sets one, else the `sessioncookie` setting of the `config` table
    /// (empty by default).
    pub async fn session_cookie_name(&self) -> Result<String, Error> {
        let suffix = match &self.target().sessioncookie {
            Some(forced) => forced.clone(),
            None => self
                .config_value("sessioncookie")
                .await?
                .unwrap_or_default(),
        };
        Ok(format!("{SESSION_COOKIE_PREFIX}{}", suffix.trim()))
    }

    /// What Moodle's `sessions` table says of the session id `sid` at `now` (Unix seconds):
    /// usable only when the row exists, names a user, has `state` 0, is younger than
    /// `sessiontimeout`, and the user is a usable local account. The id is compared byte for
    /// byte; it is never logged.
    pub async fn moodle_session(&self, sid: &str, now: i64) -> Result<MoodleSession, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let sql = format!(
            "SELECT state, userid, timemodified FROM {{p}}sessions WHERE {}",
            self.backend().exact_eq("sid")
        );
        let rows = tx.fetch_all(self.render(&sql), vec![sid.into()]).await;
        tx.rollback().await?;
        let row = match rows?.first() {
            Some(row) => Some(SessionRow {
                state: row.int("state")?,
                userid: row.int("userid")?,
                timemodified: row.int("timemodified")?,
            }),
            None => None,
        };
        let timeout = self
            .config_value("sessiontimeout")
            .await?
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|t| *t > 0)
            .unwrap_or(DEFAULT_SESSION_TIMEOUT);
        let user = match &row {
            Some(r) if r.userid != 0 => self.local_user_by_id(r.userid).await?,
            _ => None,
        };
        Ok(judge_session(row.as_ref(), user, now, timeout))
    }

    /// The local account with this id, or `None`.
    async fn local_user_by_id(&self, id: i64) -> Result<Option<LoginUser>, Error> {
        let mnethostid = self
            .config_value("mnet_localhost_id")
            .await?
            .and_then(|v| parse_id(&v))
            .unwrap_or(DEFAULT_MNET_LOCALHOST_ID);
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let rows = tx
            .fetch_all(
                self.render(
                    "SELECT id, username, auth, password, deleted, suspended, confirmed \
                     FROM {p}user WHERE id = ? AND mnethostid = ?",
                ),
                vec![id.into(), mnethostid.into()],
            )
            .await;
        tx.rollback().await?;
        match rows?.into_iter().next() {
            Some(row) => Ok(Some(login_user(&row)?)),
            None => Ok(None),
        }
    }

    /// One value of Moodle's `config` table, or `None` when the row is absent.
    async fn config_value(&self, name: &str) -> Result<Option<String>, Error> {
        let mut tx = self.begin(TxMode::ReadOnly).await?;
        let rows = tx
            .fetch_all(
                self.render("SELECT value FROM {p}config WHERE name = ?"),
                vec![name.into()],
            )
            .await;
        tx.rollback().await?;
        match rows?.first() {
            Some(row) => Ok(Some(row.text("value")?)),
            None => Ok(None),
        }
    }
}

fn login_user(row: &super::sql::Row) -> Result<LoginUser, Error> {
    Ok(LoginUser {
        id: row.int("id")?,
        username: row.text("username")?,
        auth: row.text("auth")?,
        password: Secret::new(row.text("password")?),
        deleted: row.int("deleted")? != 0,
        suspended: row.int("suspended")? != 0,
        confirmed: row.int("confirmed")? != 0,
    })
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

    fn user(deleted: bool, suspended: bool) -> LoginUser {
        LoginUser {
            id: 2,
            username: "admin".into(),
            auth: "cas".into(),
            password: Secret::new(String::from("not cached")),
            deleted,
            suspended,
            confirmed: true,
        }
    }

    #[test]
    fn a_session_is_usable_only_live_logged_in_and_of_a_usable_account() {
        let row = |state, userid, timemodified| SessionRow {
            state,
            userid,
            timemodified,
        };
        let now = 1_000_000;
        let live = row(0, 2, now - 60);
        assert_eq!(
            judge_session(Some(&live), Some(user(false, false)), now, 28_800),
            MoodleSession::LoggedIn(user(false, false)),
            "a CAS account logs in through its Moodle session"
        );
        assert_eq!(
            judge_session(None, None, now, 28_800),
            MoodleSession::Unknown
        );
        assert_eq!(
            judge_session(Some(&row(0, 0, now)), None, now, 28_800),
            MoodleSession::NotLoggedIn
        );
        assert_eq!(
            judge_session(Some(&row(1, 2, now)), Some(user(false, false)), now, 28_800),
            MoodleSession::Closed
        );
        assert_eq!(
            judge_session(
                Some(&row(0, 2, now - 28_801)),
                Some(user(false, false)),
                now,
                28_800
            ),
            MoodleSession::Expired
        );
        assert_eq!(
            judge_session(
                Some(&row(0, 2, now - 28_800)),
                Some(user(false, false)),
                now,
                28_800
            ),
            MoodleSession::LoggedIn(user(false, false)),
            "exactly the timeout is still live"
        );
        for refused in [Some(user(true, false)), Some(user(false, true)), None] {
            assert_eq!(
                judge_session(Some(&live), refused, now, 28_800),
                MoodleSession::AccountRefused
            );
        }
    }

    #[test]
    fn admin_lists_keep_only_ids() {
        assert_eq!(parse_id_list("2, 5,,x,-3, 7 "), vec![2, 5, 7]);
        assert!(parse_id_list("").is_empty());
    }
}
