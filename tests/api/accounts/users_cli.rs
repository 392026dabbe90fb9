//! `theater users`: creating accounts and changing their group from the command line.

use sea_orm::EntityTrait;
use theater::entities::{email_outbox, user, user_group};

use crate::helpers::{TEST_ACCESS_SECRET, TEST_REFRESH_SECRET, accounts::PASSWORD};

fn theater(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
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
    let (code, _, err) = theater(
        d,
        &["users", "create", "--email", "x", "--password", "weak"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("email: value is not a valid email address: "),
        "{err}"
    );
    assert!(
        err.contains("password: Password must contain at least 8 characters."),
        "{err}"
    );

    let (code, out, err) = theater(
        d,
        &[
            "users",
            "create",
            "--email",
            "Boss@Example.com",
            "--password",
            PASSWORD,
            "--group",
            "admin",
            "--active",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("<boss@example.com> in group admin (active)"),
        "{out}"
    );
    let (code, _, err) = theater(
        d,
        &[
            "users",
            "create",
            "--email",
            "boss@example.com",
            "--password",
            PASSWORD,
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("A user with this email boss@example.com already exists."),
        "{err}"
    );
    let (code, out, err) = theater(
        d,
        &[
            "users",
            "create",
            "--email",
            "new@example.com",
            "--password",
            PASSWORD,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("inactive"), "{out}");
    let (code, _, err) = theater(
        d,
        &[
            "users",
            "create",
            "--email",
            "g@example.com",
            "--password",
            PASSWORD,
            "--group",
            "root",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("group: "), "{err}");

    let (code, out, err) = theater(
        d,
        &[
            "users",
            "set-group",
            "--email",
            "new@example.com",
            "--group",
            "moderator",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("moderator"), "{out}");
    let (code, _, err) = theater(
        d,
        &[
            "users",
            "set-group",
            "--email",
            "ghost@example.com",
            "--group",
            "admin",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("No user with the email ghost@example.com."),
        "{err}"
    );

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
