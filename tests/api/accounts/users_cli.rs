//! `theater users`: creating accounts and changing their group from the command line.

use sea_orm::EntityTrait;
use theater::entities::{email_outbox, user, user_group};

use crate::helpers::{TEST_ACCESS_SECRET, TEST_REFRESH_SECRET, accounts::PASSWORD};

/// `theater {args}` on the SQLite database in `dir`: (exit code, stdout, stderr).
pub(crate) fn theater(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_theater"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/theater.db", dir.display()),
        )
        .env("SECRET_KEY_ACCESS", TEST_ACCESS_SECRET)
        .env("SECRET_KEY_REFRESH", TEST_REFRESH_SECRET)
        .env("RUST_LOG", "error")
        .output()
        .expect("run theater");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn users_commands_validate_like_the_api_and_manage_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let create =
        |email: &str, more: &str| format!("create --email {email} --password {PASSWORD} {more}");
    let set_group = |email: &str, group: &str| format!("set-group --email {email} --group {group}");
    let weak = "create --email x --password weak".to_owned();
    let invalid: &[&str] = &[
        "email: value is not a valid email address: ",
        "password: Password must contain at least 8 characters.",
    ];
    let conflict = "A user with this email boss@example.com already exists.";
    // `theater users …`, in order: the arguments, the exit code, texts of stdout on success or
    // of stderr on failure.
    let calls: [(String, i32, &[&str]); 7] = [
        (weak, 1, invalid),
        (
            create("Boss@Example.com", "--group admin --active"),
            0,
            &["<boss@example.com> in group admin (active)"],
        ),
        (create("boss@example.com", ""), 1, &[conflict]),
        (create("new@example.com", ""), 0, &["inactive"]),
        (create("g@example.com", "--group root"), 1, &["group: "]),
        (set_group("new@example.com", "moderator"), 0, &["moderator"]),
        (
            set_group("ghost@example.com", "admin"),
            1,
            &["No user with the email ghost@example.com."],
        ),
    ];
    for (call, expected_code, texts) in calls {
        let args: Vec<&str> = ["users"]
            .into_iter()
            .chain(call.split_whitespace())
            .collect();
        let (code, out, err) = theater(d, &args);
        assert_eq!(code, expected_code, "users {call}: {err}");
        let output = if expected_code == 0 { &out } else { &err };
        for text in texts {
            assert!(
                output.contains(text),
                "users {call}: {text:?} not in {output}"
            );
        }
    }

    let db = theater::db::connect(&format!("sqlite://{}/theater.db", d.display()), 1)
        .await
        .unwrap();
    let users = user::Entity::find()
        .find_also_related(user_group::Entity)
        .all(&db)
        .await
        .unwrap();
    let summary: Vec<(String, bool, String)> = users
        .into_iter()
        .map(|(u, g)| (u.email, u.is_active, g.unwrap().name))
        .collect();
    assert_eq!(
        summary,
        [
            ("boss@example.com".to_owned(), true, "admin".to_owned()),
            ("new@example.com".to_owned(), false, "moderator".to_owned()),
        ]
    );
    // The inactive user's activation e-mail waits in the outbox for `serve`.
    let queued = email_outbox::Entity::find().all(&db).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].recipient.as_str(), queued[0].subject.as_str()),
        ("new@example.com", "Account Activation")
    );
}
