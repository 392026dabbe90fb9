//! `theater users list|show|set-group|deactivate|activate|revoke` and `theater audit list|prune`:
//! the API's rules (the last-admin guard, revocation, audit entries by `cli`) at the command line.

use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::{accounts::users_cli::theater, helpers::accounts::PASSWORD};

/// `theater {args}` that must succeed: its standard output.
fn ok(dir: &std::path::Path, args: &str) -> String {
    let args: Vec<&str> = args.split_whitespace().collect();
    let (code, out, err) = theater(dir, &args);
    assert_eq!(code, 0, "theater {args:?}: {err}");
    out
}

/// `theater {args}` that must fail: its standard error.
fn refused(dir: &std::path::Path, args: &str) -> String {
    let args: Vec<&str> = args.split_whitespace().collect();
    let (code, _, err) = theater(dir, &args);
    assert_eq!(code, 1, "theater {args:?} should fail");
    err
}

#[tokio::test]
async fn operators_manage_users_and_read_the_audit_log_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &format!(
            "users create --email boss@example.com --password {PASSWORD} --group admin --active"
        ),
    );
    ok(
        d,
        &format!("users create --email fan@example.com --password {PASSWORD} --active"),
    );

    let list = ok(d, "users list");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].starts_with("2\tfan@example.com\tuser\tactive\t"),
        "newest first: {list}"
    );
    assert!(
        lines[1].starts_with("1\tboss@example.com\tadmin\tactive\t"),
        "{list}"
    );
    assert_eq!(ok(d, "users list --group admin").lines().count(), 1);
    assert_eq!(
        ok(d, "users list --search FAN --sort id").lines().count(),
        1
    );
    assert_eq!(ok(d, "users list --active false").trim(), "no users");
    assert!(refused(d, "users list --sort name").contains("sort: Input should be"));

    let shown: Value = serde_json::from_str(&ok(d, "users show --email fan@example.com")).unwrap();
    assert_eq!(
        (shown["id"].clone(), shown["group"].clone()),
        (2.into(), "user".into())
    );
    assert_eq!(
        (shown["sessions"].clone(), shown["profile"].clone()),
        (0.into(), Value::Null)
    );

    // The last active admin stays, as in the API.
    let last = "The last active admin cannot be removed.";
    assert!(refused(d, "users set-group --id 1 --group user").contains(last));
    assert!(refused(d, "users deactivate --email boss@example.com").contains(last));
    assert!(
        refused(d, "users revoke --email ghost@example.com")
            .contains("No user with the email ghost@example.com.")
    );
    assert!(refused(d, "users show --id 99").contains("User not found."));

    assert!(
        ok(
            d,
            "users set-group --email fan@example.com --group moderator"
        )
        .contains("is now in group moderator")
    );
    assert!(ok(d, "users deactivate --id 2").contains("inactive"));
    assert!(ok(d, "users activate --id 2").contains("is active"));
    assert!(ok(d, "users revoke --email fan@example.com").contains("every session revoked"));

    // The revocations are where a running service's poll finds them.
    let db = theater::db::connect(&format!("sqlite://{}/theater.db", d.display()), 1)
        .await
        .unwrap();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM token_revocations WHERE user_id = 2",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 1);

    let log = ok(d, "audit list");
    let actions: Vec<&str> = log.lines().map(|l| l.split('\t').nth(3).unwrap()).collect();
    assert_eq!(
        actions,
        [
            "user.sessions.revoke",
            "user.update",
            "user.update",
            "user.update"
        ],
        "{log}"
    );
    for line in log.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            (fields[2], fields[4], fields[5]),
            ("cli", "user:2", "-"),
            "{line}"
        );
    }
    assert!(
        log.contains(r#"{"group":{"from":"user","to":"moderator"}}"#),
        "{log}"
    );
    assert_eq!(
        ok(d, "audit list --action user.update --limit 2")
            .lines()
            .count(),
        2
    );
    assert_eq!(ok(d, "audit list --actor-id 1").trim(), "no entries");

    assert!(ok(d, "audit prune --before 2000-01-01").contains("removed 0"));
    assert!(
        ok(d, "audit prune --before 2999-01-01").contains("removed 5"),
        "the first prune's entry too"
    );
    let log = ok(d, "audit list");
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("audit.prune"), "{log}");
}

#[tokio::test]
async fn operators_delete_users_but_never_the_last_admin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &format!(
            "users create --email boss@example.com --password {PASSWORD} --group admin --active"
        ),
    );
    ok(
        d,
        &format!("users create --email gone@example.com --password {PASSWORD} --active"),
    );
    let out = ok(d, "users delete --email gone@example.com");
    assert!(
        out.contains("gone@example.com") && out.contains("deleted"),
        "{out}"
    );
    assert!(!ok(d, "users list").contains("gone@example.com"));
    let err = refused(d, "users delete --email boss@example.com");
    assert!(
        err.contains("The last active admin cannot be removed."),
        "{err}"
    );
    let err = refused(d, "users delete --email nobody@example.com");
    assert!(
        err.contains("not found") || err.contains("No user"),
        "{err}"
    );
    let audit = ok(d, "audit list --action user.delete");
    assert_eq!(audit.lines().count(), 1, "{audit}");
}
