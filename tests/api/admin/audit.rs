//! The audit log: entries for every staff write with actor, action, target, the client's address
//! (behind a trusted proxy, the real one) and details; filters and paging; catalog writes by staff.

use std::collections::HashMap;

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use theater::auth::Group;

use super::{ADMIN_AUDIT, admin_user_url, revoke_url};
use crate::{
    db_tests,
    helpers::{Backend, TestApp, json, spawn_app_with},
    movies::{movie, movie_url},
};

fn behind_a_proxy(env: &mut HashMap<String, String>) {
    env.insert("TRUSTED_PROXIES".into(), "127.0.0.1/32".into());
}

impl TestApp {
    /// `method path` with `auth` and `body`, as if the proxy at 127.0.0.1 forwarded it for `client`.
    async fn forwarded_call(
        &self,
        client: &str,
        method: Method,
        path: &str,
        auth: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .request(method, path)
            .header("Authorization", auth)
            .header("X-Forwarded-For", format!("6.6.6.6, {client}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        json(request.send().await.expect("request")).await
    }
}

async fn staff_writes_are_audited_with_actor_address_and_details(backend: Backend) {
    let app = spawn_app_with(backend, behind_a_proxy).await;
    let crew = app.crew().await;
    let (second, second_auth) = app.member("second@example.com", Group::Admin).await;
    let target = crew.user.0;
    let (status, _) = app
        .forwarded_call(
            "203.0.113.9",
            Method::PATCH,
            &admin_user_url(target),
            &crew.admin.1,
            Some(json!({"group": "moderator"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .forwarded_call(
            "2001:db8::7",
            Method::POST,
            &revoke_url(target),
            &second_auth,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .patch_user(&second_auth, target, json!({"is_active": false}))
        .await;
    assert_eq!(status, 200);
    // A refused request records nothing.
    let (status, _) = app
        .patch_user(&second_auth, target, json!({"group": "root"}))
        .await;
    assert_eq!(status, 422);

    let entries = app.audit_entries(&crew.admin.1, "").await;
    let summary: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    let user = format!("user:{target}");
    assert_eq!(
        summary,
        [
            ("user.update", user.as_str()),
            ("user.sessions.revoke", user.as_str()),
            ("user.update", user.as_str())
        ],
        "newest first"
    );
    let first = &entries[2];
    assert_eq!(
        first["actor"],
        json!({"user_id": crew.admin.0, "email": "admin@example.com", "via": "api"})
    );
    assert_eq!(
        first["client_ip"], "203.0.113.9",
        "the address the trusted proxy saw"
    );
    assert_eq!(
        first["details"],
        json!({"group": {"from": "user", "to": "moderator"}})
    );
    let at = first["at"].as_str().unwrap();
    assert!(at.len() == 20 && at.ends_with('Z'), "{at}");
    assert_eq!(entries[1]["client_ip"], "2001:db8::7");
    assert_eq!(entries[1]["actor"]["user_id"], second);
    assert_eq!(entries[1]["details"], json!({"refresh_tokens": 0}));
    assert_eq!(
        entries[0]["client_ip"], "127.0.0.1",
        "no forwarding header: the proxy itself"
    );
    assert_eq!(
        entries[0]["details"],
        json!({"is_active": {"from": true, "to": false}, "sessions_revoked": true})
    );

    // Filters, and paging with the filters kept.
    assert_eq!(
        app.audit_entries(&crew.admin.1, &format!("actor_id={second}"))
            .await
            .len(),
        2
    );
    assert_eq!(
        app.audit_entries(&crew.admin.1, "action=user.sessions.revoke")
            .await
            .len(),
        1
    );
    assert_eq!(
        app.audit_entries(
            &crew.admin.1,
            &format!("actor_id={second}&action=user.update")
        )
        .await
        .len(),
        1
    );
    assert!(
        app.audit_entries(&crew.admin.1, "action=user.delete")
            .await
            .is_empty()
    );
    let page = app
        .admin_read(
            &crew.admin.1,
            &format!("{ADMIN_AUDIT}?per_page=1&action=user.update"),
        )
        .await;
    assert_eq!(
        (page["total_items"].clone(), page["total_pages"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(
        page["next_page"],
        "/admin/audit/?page=2&per_page=1&action=user.update"
    );
    for bad in ["actor_id=x", "per_page=0", "action="] {
        let (status, body) = app
            .call(
                Method::GET,
                &format!("{ADMIN_AUDIT}?{bad}"),
                Some(&crew.admin.1),
                None,
            )
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
    }

    // Entries outlive their actor.
    app.db
        .execute_unprepared(&format!("DELETE FROM users WHERE id = {second}"))
        .await
        .expect("delete the actor");
    let left = app
        .audit_entries(&crew.admin.1, &format!("actor_id={second}"))
        .await;
    assert_eq!(left.len(), 2);
    assert_eq!(left[0]["actor"]["email"], "second@example.com");
}

async fn catalog_writes_by_staff_are_audited(backend: Backend) {
    let app = spawn_app_with(backend, behind_a_proxy).await;
    let crew = app.crew().await;
    let id = app.catalog_movie(&crew.admin.1, "Logged").await;
    let (status, _) = app
        .forwarded_call(
            "198.51.100.4",
            Method::PATCH,
            &movie_url(id),
            &crew.moderator.1,
            Some(json!({"score": 80, "overview": "New."})),
        )
        .await;
    assert_eq!(status, 200);
    // A PATCH that sets nothing writes nothing and records nothing.
    assert_eq!(
        app.call(
            Method::PATCH,
            &movie_url(id),
            Some(&crew.admin.1),
            Some(json!({}))
        )
        .await
        .0,
        200
    );
    // A refused write records nothing either.
    let other = app.catalog_movie(&crew.admin.1, "Other").await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &movie_url(other),
            Some(&crew.admin.1),
            Some(json!({"name": "Logged", "date": "2020-01-01"})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .call(
            Method::DELETE,
            &movie_url(id),
            Some(&crew.moderator.1),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.call(
            Method::DELETE,
            &movie_url(id),
            Some(&crew.moderator.1),
            None
        )
        .await
        .0,
        404
    );

    let entries = app.audit_entries(&crew.admin.1, "").await;
    let summary: Vec<(&str, String)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let (m, o) = (format!("movie:{id}"), format!("movie:{other}"));
    assert_eq!(
        summary,
        [
            ("movie.delete", m.clone()),
            ("movie.create", o),
            ("movie.update", m.clone()),
            ("movie.create", m)
        ]
    );
    assert_eq!(
        entries[3]["details"],
        json!({"name": "Logged", "date": "2020-01-01"})
    );
    assert_eq!(entries[3]["actor"]["user_id"], crew.admin.0);
    assert_eq!(
        entries[2]["details"],
        json!({"fields": ["score", "overview"]})
    );
    assert_eq!(entries[2]["client_ip"], "198.51.100.4");
    assert_eq!(entries[2]["actor"]["email"], "moderator@example.com");
    assert_eq!(
        entries[0]["details"],
        json!({"name": "Logged", "date": "2020-01-01"})
    );
}

/// With `CATALOG_WRITES=open` anonymous writes are not anyone's: nothing to record. A staff token
/// sent along is still recorded.
async fn open_catalog_writes_are_audited_only_for_staff(backend: Backend) {
    let app = crate::movies::spawn_open_app(backend).await;
    let crew = app.crew().await;
    let anonymous = app.created(&movie("Anonymous", "2021-01-01")).await;
    let (status, _) = app
        .call(
            Method::DELETE,
            &movie_url(anonymous),
            Some("Bearer junk"),
            None,
        )
        .await;
    assert_eq!(status, 204, "the original ignores the header");
    let by_staff = app.catalog_movie(&crew.moderator.1, "Staff").await;
    let entries = app.audit_entries(&crew.admin.1, "").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["target"], format!("movie:{by_staff}"));
    // Users are never auditors.
    let _ = app.catalog_movie(&crew.user.1, "User").await;
    assert_eq!(app.audit_entries(&crew.admin.1, "").await.len(), 1);
}

db_tests!(
    staff_writes_are_audited_with_actor_address_and_details,
    catalog_writes_by_staff_are_audited,
    open_catalog_writes_are_audited_only_for_staff,
);
