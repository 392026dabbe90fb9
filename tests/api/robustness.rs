//! Hardening: throws malformed bodies, headers, query strings, path parameters, multipart parts and
//! huge inputs at every operation the OpenAPI document lists, and asserts the service never answers
//! 5xx (a panic would surface as the panic catcher's 500). Driving it from the document means a new
//! endpoint is covered the moment it is documented. Inputs come from a seeded generator, so a failure
//! names a reproducible case.

use chrono::Datelike;
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::{Method, header};
use serde_json::{Value, json};

use crate::{
    db_tests,
    helpers::{Backend, MOVIE_FIELDS, TestApp, json, pluck, spawn_app, spawn_app_with},
};
use theater::auth::Group;

/// Values that have broken parsers before: type confusion, bounds, encodings, sizes.
fn nasty_json_values(rng: &mut StdRng) -> Vec<Value> {
    let huge = "x".repeat(200_000);
    let mut values = vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e308),
        json!(-0.0),
        json!(""),
        json!(" "),
        json!("\u{0}"),
        json!("\u{202e}évil ünïcode 🎬"),
        json!("' OR 1=1 --"),
        json!("<script>alert(1)</script>"),
        json!("../../etc/passwd"),
        json!("2023-02-30"),
        json!("99999-01-01"),
        json!(huge),
        json!([]),
        json!([null, 1, "a", {}]),
        json!({}),
        json!({"nested": {"deeper": [1, 2, {"x": null}]}}),
    ];
    // A few random strings of random bytes (valid UTF-8 after lossy conversion).
    for _ in 0..4 {
        let len = rng.gen_range(0..64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.r#gen::<u8>()).collect();
        values.push(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    }
    values
}

/// Raw bodies that are not what any endpoint expects.
fn nasty_bodies() -> Vec<(Option<&'static str>, Vec<u8>)> {
    let deep: String = "[".repeat(10_000) + &"]".repeat(10_000);
    vec![
        (Some("application/json"), b"".to_vec()),
        (Some("application/json"), b"{".to_vec()),
        (Some("application/json"), b"{\"a\": }".to_vec()),
        (Some("application/json"), b"null".to_vec()),
        (Some("application/json"), b"[1,2,3]".to_vec()),
        (Some("application/json"), b"\"just a string\"".to_vec()),
        (Some("application/json"), vec![0xff, 0xfe, 0x00, 0x7b]),
        (Some("application/json"), deep.into_bytes()),
        (Some("application/json"), b"{\"email\": 1e99999}".to_vec()),
        (Some("application/json"), format!("{{\"name\": \"{}\"}}", "y".repeat(300_000)).into_bytes()),
        (Some("text/plain"), b"hello".to_vec()),
        (Some("application/x-www-form-urlencoded"), b"a=1&b=%ZZ".to_vec()),
        (Some("multipart/form-data"), b"no boundary here".to_vec()),
        (
            Some("multipart/form-data; boundary=XYZ"),
            b"--XYZ\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nJohn\r\n--XYZ".to_vec(),
        ),
        (
            Some("multipart/form-data; boundary=XYZ"),
            b"--XYZ\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"../../x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nGIF89a\x00\x01\r\n--XYZ--\r\n".to_vec(),
        ),
        (Some("application/json; charset=utf-16"), b"{}".to_vec()),
        (Some("\u{1}weird"), b"{}".to_vec()),
        (None, b"{}".to_vec()),
    ]
}

fn path_values() -> Vec<String> {
    [
        "1",
        "0",
        "-1",
        "2147483648",
        "99999999999999999999",
        "abc",
        "1.5",
        "%00",
        "%2e%2e",
        "%F0%9F%8E%AC",
        "1e3",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(std::iter::once("9".repeat(3000)))
    .collect()
}

fn query_strings() -> Vec<String> {
    vec![
        "page=0".into(),
        "page=-1&per_page=0".into(),
        "page=abc&per_page=1e9".into(),
        "page=99999999999999999999".into(),
        "per_page=21&per_page=5".into(),
        "page=%ff%fe".into(),
        "search=%00&genre=&year=abc&min_score=nan&sort=;DROP".into(),
        "sort=-".into(),
        format!("search={}", "z".repeat(20_000)),
        "=&&=&a".into(),
    ]
}

/// Every documented operation as (method, path template).
async fn operations(app: &TestApp) -> Vec<(Method, String)> {
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.push((
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    path.clone(),
                ));
            }
        }
    }
    assert!(!ops.is_empty(), "the OpenAPI document lists no operations");
    ops
}

fn fill(template: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push_str(value);
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

struct Case {
    method: Method,
    path: String,
    content_type: Option<String>,
    auth: Option<String>,
    body: Vec<u8>,
}

/// Every field of a documented JSON body besides a movie's ([`MOVIE_FIELDS`]).
const ACCOUNT_FIELDS: [&str; 6] = [
    "email",
    "password",
    "token",
    "refresh_token",
    "old_password",
    "new_password",
];

/// The list fields, also fuzzed item by item.
const LIST_FIELDS: [&str; 3] = ["genres", "actors", "languages"];

/// A body valid for every JSON endpoint, with a movie name and an e-mail no other case uses.
fn valid_body(unique: usize) -> Value {
    json!({
        "email": format!("fuzz{unique}@example.com"), "password": "Fuzz-Pass1!", "token": "t",
        "refresh_token": "r", "old_password": "Fuzz-Pass1!", "new_password": "Fuzz-Pass2!",
        "name": format!("Fuzz {unique}"), "date": "2020-01-01", "score": 50, "overview": "o",
        "status": "Released", "budget": 1, "revenue": 1, "country": "US",
        "genres": ["Drama"], "actors": ["A"], "languages": ["English"],
    })
}

async fn send(app: &TestApp, case: &Case) -> u16 {
    let mut request = app.client.request(case.method.clone(), app.url(&case.path));
    if let Some(ct) = &case.content_type
        && let Ok(value) = header::HeaderValue::from_str(ct)
    {
        request = request.header(header::CONTENT_TYPE, value);
    }
    if let Some(auth) = &case.auth
        && let Ok(value) = header::HeaderValue::from_str(auth)
    {
        request = request.header(header::AUTHORIZATION, value);
    }
    match request.body(case.body.clone()).send().await {
        Ok(response) => response.status().as_u16(),
        // The server may close the connection on a request it refuses to read (e.g. oversized);
        // that is not a 5xx. It must still be alive afterwards, which the caller checks.
        Err(_) => 0,
    }
}

async fn no_input_makes_the_service_fail(backend: Backend) {
    // The login limit would turn later cases into 429s and hide what they test.
    let app = spawn_app_with(backend, |env| {
        env.insert("LOGIN_RATE_LIMIT".into(), "0".into());
    })
    .await;
    let admin = app
        .insert_user("fuzz-admin@example.com", Group::Admin, true)
        .await;
    let tokens = [
        None,
        Some(app.bearer(admin)),
        Some("Bearer".to_owned()),
        Some("Bearer not.a.jwt".to_owned()),
        Some(format!("Bearer {}", "a".repeat(8000))),
        Some("Basic dXNlcjpwYXNz".to_owned()),
    ];
    let mut rng = StdRng::seed_from_u64(0x7EA7E5);
    let mut failures = Vec::new();
    let mut sent = 0usize;
    let mut unique = 0usize;

    for (method, template) in operations(&app).await {
        let mut cases = Vec::new();
        let paths: Vec<String> = if template.contains('{') {
            path_values().iter().map(|v| fill(&template, v)).collect()
        } else {
            vec![template.clone()]
        };
        for path in &paths {
            cases.push(Case {
                method: method.clone(),
                path: path.clone(),
                content_type: None,
                auth: tokens[rng.gen_range(0..tokens.len())].clone(),
                body: Vec::new(),
            });
        }
        let path = &paths[0];
        for query in query_strings() {
            cases.push(Case {
                method: method.clone(),
                path: format!("{path}?{query}"),
                content_type: None,
                auth: tokens[1].clone(),
                body: Vec::new(),
            });
        }
        if method != Method::GET {
            for (content_type, body) in nasty_bodies() {
                for auth in [&tokens[0], &tokens[1]] {
                    cases.push(Case {
                        method: method.clone(),
                        path: path.clone(),
                        content_type: content_type.map(str::to_owned),
                        auth: auth.clone(),
                        body: body.clone(),
                    });
                }
            }
            // Every documented body field, one at a time, set to each nasty value, and each list
            // field also to a list holding it. Every case gets its own movie name and e-mail, so it
            // gets past the uniqueness checks (a 409 answered before the value was even read hid
            // the NUL-in-a-genre 500 on PostgreSQL).
            for value in nasty_json_values(&mut rng) {
                for (field, in_list) in ACCOUNT_FIELDS
                    .iter()
                    .chain(&MOVIE_FIELDS)
                    .map(|f| (*f, false))
                    .chain(LIST_FIELDS.iter().map(|f| (*f, true)))
                {
                    unique += 1;
                    let mut body = valid_body(unique);
                    body[field] = if in_list {
                        json!(["Drama", value.clone()])
                    } else {
                        value.clone()
                    };
                    cases.push(Case {
                        method: method.clone(),
                        path: path.clone(),
                        content_type: Some("application/json".into()),
                        auth: tokens[1].clone(),
                        body: serde_json::to_vec(&body).unwrap(),
                    });
                }
            }
        }
        for case in &cases {
            sent += 1;
            let status = send(&app, case).await;
            if status >= 500 {
                failures.push(format!(
                    "{} {} ({:?}, {} body bytes) -> {status}",
                    case.method,
                    case.path.chars().take(120).collect::<String>(),
                    case.content_type,
                    case.body.len()
                ));
            }
        }
    }
    // Still alive and well after all of it.
    assert_eq!(app.get("/health").await.status(), 200);
    assert!(
        failures.is_empty(),
        "{} of {sent} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(sent > 100, "only {sent} cases were sent");
}

async fn oversized_headers_and_bodies_are_refused_cleanly(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    // A body far above MAX_BODY_BYTES on a JSON endpoint.
    let big = vec![b'{'; 8 * 1024 * 1024];
    let status = app
        .client
        .post(app.url("/api/v1/accounts/login/"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(big)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert!(status < 500, "oversized body -> {status}");
    // A very long header value.
    let status = app
        .client
        .get(app.url("/api/v1/theater/movies/"))
        .header("x-junk", "j".repeat(60_000))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert!(status < 500, "oversized header -> {status}");
    assert_eq!(app.get("/health").await.status(), 200);
}

const MOVIES: &str = "/api/v1/theater/movies/";

/// `CATALOG_WRITES=open`, as the audit ran it: anyone can reach the body rules of catalog writes, so
/// they must hold without a token in front of them.
async fn spawn_anonymous_writes_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |env| {
        env.insert("CATALOG_WRITES".into(), "open".into());
    })
    .await
}

async fn count(app: &TestApp, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db.get_database_backend();
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// PostgreSQL cannot store NUL in text (it was a 500 there) and SQLite stored it as-is: every name
/// that reaches the database refuses it with a 422, and nothing is written.
async fn nul_in_names_is_422_and_nothing_is_stored(backend: Backend) {
    let app = spawn_anonymous_writes_app(backend).await;
    let nul = "Dra\u{0}ma";
    let cases = [
        ("country", json!("U\u{0}"), json!(["body", "country"])),
        (
            "genres",
            json!(["Drama", nul]),
            json!(["body", "genres", 1]),
        ),
        ("actors", json!([nul]), json!(["body", "actors", 0])),
        ("languages", json!([nul]), json!(["body", "languages", 0])),
        ("name", json!(nul), json!(["body", "name"])),
        ("overview", json!(nul), json!(["body", "overview"])),
    ];
    for (i, (field, value, loc)) in cases.into_iter().enumerate() {
        let mut body = valid_body(i);
        body[field] = value;
        let (status, answer) = json(app.post_json(MOVIES, &body).await).await;
        assert_eq!(status, 422, "{field}: {answer}");
        assert_eq!(answer["detail"][0]["loc"], loc, "{answer}");
        assert_eq!(
            answer["detail"][0]["msg"],
            "Value error, Input must not contain NUL characters."
        );
    }
    for table in ["movies", "countries", "genres", "actors", "languages"] {
        assert_eq!(count(&app, table).await, 0, "{table} has rows");
    }
    let (status, _) = json(app.get(&format!("{MOVIES}?genre=a%00b")).await).await;
    assert_eq!(status, 422);
}

/// The worst inputs found for each text rule of the catalog, 64 KB each: a quick 422 (limits are
/// checked before any case mapping) or, at the limit, the right answer; the service stays
/// responsive. Before, 40 KB of `Σ` in a genre cost ~52 s of CPU that no timeout could stop.
async fn pathological_names_are_answered_quickly(backend: Backend) {
    let app = spawn_anonymous_writes_app(backend).await;
    let started = std::time::Instant::now();
    for (i, c) in ["Σ", "\u{301}", "ǅ", "ß", "ŉ", "ΐ", "İ"]
        .into_iter()
        .enumerate()
    {
        let long = c.repeat(64 * 1024 / c.len());
        for field in LIST_FIELDS {
            let mut body = valid_body(i);
            body[field] = json!([long]);
            let (status, answer) = json(app.post_json(MOVIES, &body).await).await;
            assert_eq!(status, 422, "{answer}");
            assert_eq!(answer["detail"][0]["type"], "string_too_long");
            assert_eq!(answer["detail"][0]["loc"], json!(["body", field, 0]));
        }
        for field in ["country", "name"] {
            let mut body = valid_body(i);
            body[field] = json!(long);
            let (status, answer) = json(app.post_json(MOVIES, &body).await).await;
            assert_eq!(
                (status, &answer["detail"][0]["type"]),
                (422, &json!("string_too_long"))
            );
        }
        for filter in ["search", "genre", "actor", "country"] {
            let url = format!("{MOVIES}?{filter}={}", "%CE%A3".repeat(8 * 1024));
            let (status, answer) = json(app.get(&url).await).await;
            assert_eq!(status, 422, "{filter}: {answer}");
            assert_eq!(answer["detail"][0]["type"], "string_too_long");
        }
    }
    // At the limit: 255 sigmas are title-cased correctly.
    let mut body = valid_body(100);
    body["genres"] = json!(["Σ".repeat(255)]);
    let (status, created) = json(app.post_json(MOVIES, &body).await).await;
    assert_eq!(status, 201, "{created}");
    let expected = format!("Σ{}ς", "σ".repeat(253));
    assert_eq!(created["genres"][0]["name"], json!(expected));
    // A list longer than the bound is refused before its items are read.
    let mut body = valid_body(101);
    body["actors"] = Value::Array(vec![json!("a"); 1001]);
    let (status, answer) = json(app.post_json(MOVIES, &body).await).await;
    assert_eq!(
        (status, &answer["detail"][0]["type"]),
        (422, &json!("too_long"))
    );
    assert_eq!(app.get("/health").await.status(), 200);
    // A backstop only: the work is linear and the limits come first (this took minutes before).
    let elapsed = started.elapsed();
    assert!(elapsed.as_secs() < 30, "took {elapsed:?}");
}

/// 422 bodies never echo a password, wherever it was sent: a rule-breaking password, a password of
/// the wrong type, the whole body echoed for a missing field, a raw non-JSON body, malformed JSON.
async fn password_inputs_are_never_echoed(backend: Backend) {
    let app = spawn_app_with(backend, |env| {
        env.insert("LOGIN_RATE_LIMIT".into(), "0".into());
    })
    .await;
    let user = app.insert_user("echo@example.com", Group::User, true).await;
    let bearer = app.bearer(user);
    const SECRET: &str = "s3cretvalue";
    let bodies = |field: &str| -> Vec<(Option<&'static str>, Vec<u8>)> {
        let breaking = json!({"email": "echo@example.com", field: SECRET, "token": "t"});
        let wrong_type = json!({"email": "echo@example.com", field: [SECRET], "token": "t"});
        let missing_email = json!({field: SECRET});
        vec![
            (Some("application/json"), breaking.to_string().into_bytes()),
            (
                Some("application/json"),
                wrong_type.to_string().into_bytes(),
            ),
            (
                Some("application/json"),
                missing_email.to_string().into_bytes(),
            ),
            (Some("text/plain"), breaking.to_string().into_bytes()),
            (
                Some("application/x-www-form-urlencoded"),
                format!("email=echo%40example.com&{field}={SECRET}").into_bytes(),
            ),
            (
                Some("application/json"),
                format!("{{\"email\": \"echo@example.com\", \"{field}\": \"{SECRET}\"")
                    .into_bytes(),
            ),
            (
                Some("application/json"),
                json!([{field: SECRET}]).to_string().into_bytes(),
            ),
        ]
    };
    let endpoints = [
        ("/api/v1/accounts/register/", "password", None),
        ("/api/v1/accounts/login/", "password", None),
        (
            "/api/v1/accounts/reset-password/complete/",
            "password",
            None,
        ),
        (
            "/api/v1/accounts/password-change/",
            "new_password",
            Some(&bearer),
        ),
        (
            "/api/v1/accounts/password-change/",
            "old_password",
            Some(&bearer),
        ),
    ];
    let mut redacted = 0;
    for (path, field, auth) in endpoints {
        for (content_type, body) in bodies(field) {
            let mut request = app.client.post(app.url(path)).body(body.clone());
            if let Some(ct) = content_type {
                request = request.header(header::CONTENT_TYPE, ct);
            }
            if let Some(auth) = auth {
                request = request.header(header::AUTHORIZATION, auth.as_str());
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let case = format!("{path} {content_type:?} {}", String::from_utf8_lossy(&body));
            assert_eq!(status, 422, "{case}: {text}");
            assert!(!text.contains(SECRET), "{case} echoed the password: {text}");
            let answer: Value = serde_json::from_str(&text).unwrap();
            for error in answer["detail"].as_array().unwrap() {
                assert!(error.get("input").is_some(), "{case}: no input in {error}");
            }
            redacted += text.matches("[redacted]").count();
        }
    }
    assert!(redacted >= 25, "only {redacted} redactions");
}

/// The document says what the service does (schemathesis checks it in CI; this is the quick
/// guard): pydantic's error shape, every response, an example each, the input rules.
async fn the_openapi_document_matches_the_service(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, doc) = json(app.get("/openapi.json").await).await;
    assert_eq!(status, 200);
    let schemas = &doc["components"]["schemas"];
    let field_error = &schemas["FieldError"]["properties"];
    assert_eq!(field_error["loc"]["type"], "array");
    let loc_item = &schemas["LocItem"];
    let kinds = pluck(&loc_item["oneOf"], "type");
    assert_eq!(kinds, [&json!("string"), &json!("integer")], "{loc_item}");
    assert!(
        field_error["input"].get("type").is_none(),
        "input is any value"
    );
    assert_eq!(field_error["ctx"]["type"], json!(["object", "null"]));
    assert_eq!(
        schemas["FieldError"]["properties"]["type"]["type"],
        "string"
    );

    let mut examples = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = &op["responses"];
            for status in ["500", "503"] {
                assert!(
                    responses.get(status).is_some(),
                    "{method} {path}: no {status}"
                );
            }
            if op.get("requestBody").is_some() || op.get("parameters").is_some() {
                assert!(responses.get("422").is_some(), "{method} {path}: no 422");
            }
            for (status, response) in responses.as_object().unwrap() {
                let content = &response["content"]["application/json"];
                let schema = content["schema"]["$ref"].as_str().unwrap_or_default();
                if schema.ends_with("/ErrorBody") {
                    let example = content["example"]["detail"].as_str();
                    let example = example.unwrap_or_else(|| {
                        panic!("{method} {path} {status}: no example in {response}")
                    });
                    examples.insert(example.to_owned());
                }
            }
        }
    }
    assert!(
        examples.len() >= 20,
        "only {} distinct examples: {examples:?}",
        examples.len()
    );
    for path in [
        "/api/v1/accounts/login/",
        "/api/v1/accounts/register/",
        "/api/v1/accounts/password-change/",
    ] {
        let limited = &doc["paths"][path]["post"]["responses"]["429"];
        assert!(
            limited["headers"].get("Retry-After").is_some(),
            "{path}: {limited}"
        );
    }
    let password = &schemas["Credentials"]["properties"]["password"];
    assert_eq!(password["minLength"], 8);
    assert!(password["pattern"].as_str().unwrap().contains("[@$!%*?#&]"));
    let movie = &schemas["NewMovie"]["properties"];
    assert_eq!(movie["overview"]["pattern"], "^[^\\u0000]*$");
    assert_eq!(movie["genres"]["items"]["maxLength"], 255);
    assert_eq!(movie["genres"]["maxItems"], 1000);
    assert_eq!(movie["score"]["maximum"], 100);
    assert_eq!(movie["budget"]["minimum"], 0);
    let next_year = chrono::Utc::now().year() + 1;
    assert!(
        movie["date"]["pattern"]
            .as_str()
            .unwrap()
            .contains(&format!("{next_year}-12-31")),
        "{}",
        movie["date"]
    );
    let list = &doc["paths"]["/api/v1/theater/movies/"]["get"]["parameters"];
    let per_page = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "per_page")
        .unwrap();
    assert_eq!(
        (
            &per_page["schema"]["minimum"],
            &per_page["schema"]["maximum"]
        ),
        (&json!(1), &json!(20))
    );
}

db_tests!(
    the_openapi_document_matches_the_service,
    no_input_makes_the_service_fail,
    oversized_headers_and_bodies_are_refused_cleanly,
    nul_in_names_is_422_and_nothing_is_stored,
    pathological_names_are_answered_quickly,
    password_inputs_are_never_echoed
);
