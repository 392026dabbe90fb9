//! `/api/v1/theater/movies/`: every movie row of the contract, the catalog filters, and the
//! `CATALOG_WRITES=staff` switch, on SQLite and PostgreSQL.

use chrono::Datelike;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use theater::auth::Group;

use crate::{
    db_tests,
    helpers::{Backend, TestApp, json, spawn_app, spawn_app_with},
};

/// Most tests here check the original's contract, whose catalog anyone may write: they run with
/// `CATALOG_WRITES=open`, as the original's clients and test suite would. `staff_mode_guards_writes`
/// checks the default.
async fn spawn_open_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, open_catalog).await
}

fn open_catalog(env: &mut std::collections::HashMap<String, String>) {
    env.insert("CATALOG_WRITES".into(), "open".into());
}

const MOVIES: &str = "/api/v1/theater/movies/";

fn movie_url(id: impl std::fmt::Display) -> String {
    format!("{MOVIES}{id}/")
}

/// A valid create body; tests change what they exercise.
fn movie(name: &str, date: &str) -> Value {
    json!({
        "name": name,
        "date": date,
        "score": 73.0,
        "overview": format!("Overview of {name}."),
        "status": "Released",
        "budget": 75000000.0,
        "revenue": 271616668.0,
        "country": "us",
        "genres": ["drama", "action"],
        "actors": ["michael b. jordan", "tessa thompson"],
        "languages": ["english"],
    })
}

impl TestApp {
    async fn create_movie(&self, body: &Value) -> (u16, Value) {
        json(self.post_json(MOVIES, body).await).await
    }

    /// Creates a movie that must succeed and returns its id.
    async fn created(&self, body: &Value) -> i64 {
        let (status, created) = self.create_movie(body).await;
        assert_eq!(status, 201, "{created}");
        created["id"].as_i64().unwrap()
    }

    async fn count(&self, table: &str) -> i64 {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        json(request.send().await.unwrap()).await
    }
}

fn one_error(body: &Value) -> &Value {
    let errors = body["detail"].as_array().expect("a validation error list");
    assert_eq!(errors.len(), 1, "{body}");
    &errors[0]
}

async fn an_empty_catalog_is_404(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let (status, body) = json(app.get(MOVIES).await).await;
    assert_eq!((status, body), (404, json!({"detail": "No movies found."})));
}

async fn create_returns_the_normalised_detail(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let mut body = movie("Creed III", "2023-03-02");
    body["genres"] = json!(["sci-fi", "drama", "Drama"]);
    body["actors"] = json!(["they're", "2nd unit"]);
    body["languages"] = json!([" spanish", "english"]);
    body["country"] = json!("au");
    let (status, created) = app.create_movie(&body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let names = |v: &Value| -> Vec<String> {
        let mut names: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(created["name"], "Creed III");
    assert_eq!(created["date"], "2023-03-02");
    assert_eq!(created["score"], json!(73.0));
    assert_eq!(created["status"], "Released");
    assert_eq!(created["budget"], json!(75000000.0));
    assert_eq!(created["revenue"], json!(271616668.0));
    assert_eq!(created["overview"], "Overview of Creed III.");
    assert_eq!(created["country"]["code"], "AU");
    assert!(created["country"]["id"].is_i64());
    assert_eq!(created["country"]["name"], Value::Null);
    assert_eq!(names(&created["genres"]), ["Drama", "Sci-Fi"]);
    assert_eq!(names(&created["actors"]), ["2Nd Unit", "They'Re"]);
    assert_eq!(names(&created["languages"]), [" Spanish", "English"]);
    // The detail shows exactly what the create answered.
    let (status, detail) = json(app.get(&movie_url(id)).await).await;
    assert_eq!(status, 200);
    assert_eq!(detail, created);
    // Numbers are JSON numbers, in the original's float rendering.
    let text = app.get(&movie_url(id)).await.text().await.unwrap();
    assert!(text.contains(r#""budget":75000000.0"#), "{text}");
    assert!(text.contains(r#""score":73.0"#), "{text}");
    assert_eq!(app.count("genres").await, 2);
    assert_eq!(app.count("movies_genres").await, 2);
}

async fn existing_related_rows_are_reused(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let first = app.created(&movie("One", "2020-01-01")).await;
    let mut body = movie("Two", "2020-01-01");
    body["genres"] = json!(["DRAMA", "comedy"]);
    body["country"] = json!("US");
    let (_, second) = app.create_movie(&body).await;
    assert_eq!(app.count("countries").await, 1);
    assert_eq!(app.count("genres").await, 3);
    assert_eq!(app.count("actors").await, 2);
    assert_eq!(app.count("languages").await, 1);
    let (_, one) = json(app.get(&movie_url(first)).await).await;
    assert_eq!(one["country"], second["country"]);
    let drama = |v: &Value| {
        v["genres"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "Drama")
            .cloned()
    };
    assert_eq!(drama(&one), drama(&second));
    assert!(drama(&one).is_some());
}

async fn budgets_keep_cents(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let mut body = movie("Cents", "2021-05-05");
    body["budget"] = json!(1234.567);
    body["score"] = json!(0);
    body["revenue"] = json!(0);
    let (status, created) = app.create_movie(&body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["budget"], json!(1234.57));
    let (_, detail) = json(app.get(&movie_url(&created["id"])).await).await;
    assert_eq!(detail["budget"], json!(1234.57));
    assert_eq!(detail["score"], json!(0.0));
}

async fn duplicates_are_409(backend: Backend) {
    let app = spawn_open_app(backend).await;
    app.created(&movie("Creed III", "2023-03-02")).await;
    let (status, body) = app.create_movie(&movie("Creed III", "2023-03-02")).await;
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({"detail": "A movie with the name 'Creed III' and release date '2023-03-02' already exists."})
    );
    // Same name, other date: a different movie.
    app.created(&movie("Creed III", "2023-03-03")).await;
    assert_eq!(app.count("movies").await, 2);
}

async fn create_validation_is_422(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let next_year = chrono::Utc::now().year() + 1;

    let (status, body) = app.create_movie(&json!({})).await;
    assert_eq!(status, 422);
    let missing: Vec<&Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "missing");
            assert_eq!(e["msg"], "Field required");
            &e["loc"][1]
        })
        .collect();
    assert_eq!(
        missing,
        [
            "name",
            "date",
            "score",
            "overview",
            "status",
            "budget",
            "revenue",
            "country",
            "genres",
            "actors",
            "languages"
        ]
    );

    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "date",
            json!(format!("{}-01-01", next_year + 1)),
            json!({
                "type": "value_error", "loc": ["body", "date"],
                "msg": format!("Value error, The year in 'date' cannot be greater than {next_year}."),
                "input": format!("{}-01-01", next_year + 1), "ctx": {"error": {}},
            }),
        ),
        (
            "score",
            json!(100.5),
            json!({
                "type": "less_than_equal", "loc": ["body", "score"],
                "msg": "Input should be less than or equal to 100", "input": 100.5, "ctx": {"le": 100},
            }),
        ),
        (
            "score",
            json!(-1),
            json!({
                "type": "greater_than_equal", "loc": ["body", "score"],
                "msg": "Input should be greater than or equal to 0", "input": -1, "ctx": {"ge": 0},
            }),
        ),
        (
            "budget",
            json!(-0.01),
            json!({
                "type": "greater_than_equal", "loc": ["body", "budget"],
                "msg": "Input should be greater than or equal to 0", "input": -0.01, "ctx": {"ge": 0},
            }),
        ),
        (
            "revenue",
            json!(-5),
            json!({
                "type": "greater_than_equal", "loc": ["body", "revenue"],
                "msg": "Input should be greater than or equal to 0", "input": -5, "ctx": {"ge": 0},
            }),
        ),
        (
            "status",
            json!("Released "),
            json!({
                "type": "enum", "loc": ["body", "status"],
                "msg": "Input should be 'Released', 'Post Production' or 'In Production'",
                "input": "Released ",
                "ctx": {"expected": "'Released', 'Post Production' or 'In Production'"},
            }),
        ),
        (
            "name",
            json!("n".repeat(256)),
            json!({
                "type": "string_too_long", "loc": ["body", "name"],
                "msg": "String should have at most 255 characters", "input": "n".repeat(256),
                "ctx": {"max_length": 255},
            }),
        ),
        (
            "country",
            json!("USAX"),
            json!({
                "type": "string_too_long", "loc": ["body", "country"],
                "msg": "String should have at most 3 characters", "input": "USAX",
                "ctx": {"max_length": 3},
            }),
        ),
        (
            "genres",
            json!("Drama"),
            json!({
                "type": "list_type", "loc": ["body", "genres"],
                "msg": "Input should be a valid list", "input": "Drama",
            }),
        ),
        (
            "actors",
            json!(["ok", 7]),
            json!({
                "type": "string_type", "loc": ["body", "actors", 1],
                "msg": "Input should be a valid string", "input": ["ok", 7],
            }),
        ),
        (
            "date",
            json!("03/02/2023"),
            json!(null), // shape checked below: a date parsing error at ["body", "date"]
        ),
    ];
    for (field, value, expected) in cases {
        let mut body = movie("Validation", "2020-01-01");
        body[field] = value;
        let (status, response) = app.create_movie(&body).await;
        assert_eq!(status, 422, "{field}: {response}");
        let error = one_error(&response);
        if expected.is_null() {
            assert_eq!(error["loc"], json!(["body", field]));
            assert_eq!(error["type"], "date_parsing");
        } else {
            assert_eq!(error, &expected, "{field}");
        }
    }
    // Next year itself is fine.
    app.created(&movie("Next year", &format!("{next_year}-12-31")))
        .await;

    // Malformed JSON and a wrong content type are 422 too.
    let response = app
        .client
        .post(app.url(MOVIES))
        .header("Content-Type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 422);
    assert_eq!(one_error(&body)["type"], "json_invalid");
    let response = app
        .client
        .post(app.url(MOVIES))
        .header("Content-Type", "text/plain")
        .body(movie("x", "2020-01-01").to_string())
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 422);
    assert_eq!(one_error(&body)["type"], "model_attributes_type");
    assert_eq!(app.count("movies").await, 1);
}

async fn concurrent_creates_share_new_rows_without_duplicates(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let creates = (0..12).map(|i| {
        let mut body = movie(&format!("Parallel {i}"), "2022-02-02");
        body["genres"] = json!(["brand new genre", "another new genre", "drama"]);
        body["actors"] = json!(["shared actor", format!("actor {i}")]);
        body["languages"] = json!(["klingon"]);
        body["country"] = json!("zz");
        let app = &app;
        async move { app.create_movie(&body).await }
    });
    for (status, body) in futures::future::join_all(creates).await {
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(app.count("movies").await, 12);
    assert_eq!(app.count("genres").await, 3);
    assert_eq!(app.count("actors").await, 13);
    assert_eq!(app.count("languages").await, 1);
    assert_eq!(app.count("countries").await, 1);
    assert_eq!(app.count("movies_genres").await, 36);
}

async fn concurrent_creates_of_one_movie_give_one_row(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let body = movie("Only once", "2022-02-02");
    let creates = (0..6).map(|_| app.create_movie(&body));
    let statuses: Vec<u16> = futures::future::join_all(creates)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 400, 409].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(app.count("movies").await, 1);
}

async fn list_pages_newest_first(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(
            app.created(&movie(&format!("Movie {i:02}"), "2020-01-01"))
                .await,
        );
    }
    ids.reverse();

    let (status, page) = json(app.get(MOVIES).await).await;
    assert_eq!(status, 200);
    let listed: Vec<i64> = page["movies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, ids[..10]);
    assert_eq!(page["prev_page"], Value::Null);
    assert_eq!(page["next_page"], "/theater/movies/?page=2&per_page=10");
    assert_eq!(page["total_pages"], 3);
    assert_eq!(page["total_items"], 25);
    let item = &page["movies"][0];
    assert_eq!(
        // In the order the original sends them (objects keep their order since serde_json's
        // `preserve_order`).
        item.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "name", "date", "score", "overview"]
    );
    assert_eq!(item["name"], "Movie 24");

    let (status, page) = json(app.get(&format!("{MOVIES}?page=3&per_page=10")).await).await;
    assert_eq!(status, 200);
    assert_eq!(page["movies"].as_array().unwrap().len(), 5);
    assert_eq!(page["movies"][4]["id"].as_i64(), ids.last().copied());
    assert_eq!(page["prev_page"], "/theater/movies/?page=2&per_page=10");
    assert_eq!(page["next_page"], Value::Null);

    let (status, page) = json(app.get(&format!("{MOVIES}?page=2&per_page=20")).await).await;
    assert_eq!(status, 200);
    assert_eq!(page["movies"].as_array().unwrap().len(), 5);
    assert_eq!(page["prev_page"], "/theater/movies/?page=1&per_page=20");
    assert_eq!(page["total_pages"], 2);

    for past_the_end in [
        "?page=4",
        "?page=3&per_page=20",
        "?page=9223372036854775807",
    ] {
        let (status, body) = json(app.get(&format!("{MOVIES}{past_the_end}")).await).await;
        assert_eq!(
            (status, body),
            (404, json!({"detail": "No movies found."})),
            "{past_the_end}"
        );
    }
}

async fn list_without_filters_is_byte_identical_to_the_original(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let id = app.created(&movie("Exact", "2023-03-02")).await;
    let text = app
        .get(&format!("{MOVIES}?page=1&per_page=1"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        text,
        format!(
            r#"{{"movies":[{{"id":{id},"name":"Exact","date":"2023-03-02","score":73.0,"overview":"Overview of Exact."}}],"prev_page":null,"next_page":null,"total_pages":1,"total_items":1}}"#
        )
    );
    // Unknown parameters and blank filters change nothing.
    let other = app
        .get(&format!("{MOVIES}?page=1&per_page=1&search=&utm=x"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(other, text);
}

async fn list_query_validation_is_422(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let cases = [
        (
            "?page=0",
            json!({"type": "greater_than_equal", "loc": ["query", "page"],
                   "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}}),
        ),
        (
            "?per_page=21",
            json!({"type": "less_than_equal", "loc": ["query", "per_page"],
                   "msg": "Input should be less than or equal to 20", "input": "21", "ctx": {"le": 20}}),
        ),
        (
            "?per_page=0",
            json!({"type": "greater_than_equal", "loc": ["query", "per_page"],
                   "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}}),
        ),
        (
            "?page=abc",
            json!({"type": "int_parsing", "loc": ["query", "page"],
                   "msg": "Input should be a valid integer, unable to parse string as an integer",
                   "input": "abc"}),
        ),
        (
            "?sort=rating",
            json!({"type": "literal_error", "loc": ["query", "sort"],
                   "msg": "Input should be 'id', '-id', 'name', '-name', 'date', '-date', 'score' or '-score'",
                   "input": "rating",
                   "ctx": {"expected": "'id', '-id', 'name', '-name', 'date', '-date', 'score' or '-score'"}}),
        ),
        (
            "?year=twenty",
            json!({"type": "int_parsing", "loc": ["query", "year"],
                   "msg": "Input should be a valid integer, unable to parse string as an integer",
                   "input": "twenty"}),
        ),
        (
            "?min_score=high",
            json!({"type": "float_parsing", "loc": ["query", "min_score"],
                   "msg": "Input should be a valid number, unable to parse string as a number",
                   "input": "high"}),
        ),
    ];
    for (query, expected) in cases {
        let (status, body) = json(app.get(&format!("{MOVIES}{query}")).await).await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(one_error(&body), &expected, "{query}");
    }
    let (status, body) = json(app.get(&format!("{MOVIES}?page=0&per_page=50")).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"].as_array().unwrap().len(), 2);
}

async fn detail_errors(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let id = app.created(&movie("Here", "2020-01-01")).await;
    let not_found = json!({"detail": "Movie with the given ID was not found."});
    for missing in [
        (id + 1).to_string(),
        "0".into(),
        "-3".into(),
        "2147483648".into(),
        "99999999999999".into(),
    ] {
        let (status, body) = json(app.get(&movie_url(&missing)).await).await;
        assert_eq!((status, &body), (404, &not_found), "{missing}");
    }
    let (status, body) = json(app.get(&movie_url("abc")).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        one_error(&body),
        &json!({"type": "int_parsing", "loc": ["path", "movie_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "abc"})
    );
}

async fn paths_without_trailing_slash_work(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let (status, created) = json(
        app.post_json("/api/v1/theater/movies", &movie("Slashless", "2020-01-01"))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_i64().unwrap();
    let (status, page) = json(app.get("/api/v1/theater/movies?page=1&per_page=5").await).await;
    assert_eq!(status, 200);
    assert_eq!(page["total_items"], 1);
    let (status, detail) = json(app.get(&format!("/api/v1/theater/movies/{id}")).await).await;
    assert_eq!((status, &detail["name"]), (200, &json!("Slashless")));
    let (status, _) = json(
        app.patch_json(
            &format!("/api/v1/theater/movies/{id}"),
            &json!({"score": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let response = app.delete(&format!("/api/v1/theater/movies/{id}")).await;
    assert_eq!(response.status(), 204);
}

async fn patch_updates_given_fields(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let id = app.created(&movie("Before", "2020-01-01")).await;
    let (status, body) = json(
        app.patch_json(
            &movie_url(id),
            &json!({"name": "After", "date": "2021-02-03", "score": 99.5, "overview": "New.",
                    "status": "Post Production", "budget": 10.5, "revenue": 20}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"detail": "Movie updated successfully."}))
    );
    let (_, detail) = json(app.get(&movie_url(id)).await).await;
    assert_eq!(detail["name"], "After");
    assert_eq!(detail["date"], "2021-02-03");
    assert_eq!(detail["score"], json!(99.5));
    assert_eq!(detail["overview"], "New.");
    assert_eq!(detail["status"], "Post Production");
    assert_eq!(detail["budget"], json!(10.5));
    assert_eq!(detail["revenue"], json!(20.0));
    assert_eq!(detail["genres"].as_array().unwrap().len(), 2);

    // A subset leaves the rest alone; an empty body changes nothing and succeeds.
    let (status, _) = json(app.patch_json(&movie_url(id), &json!({"score": 1})).await).await;
    assert_eq!(status, 200);
    let (status, _) = json(app.patch_json(&movie_url(id), &json!({})).await).await;
    assert_eq!(status, 200);
    let (_, detail) = json(app.get(&movie_url(id)).await).await;
    assert_eq!(
        (detail["score"].clone(), detail["name"].clone()),
        (json!(1.0), json!("After"))
    );
}

async fn patch_errors(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let id = app.created(&movie("Taken", "2020-01-01")).await;
    let other = app.created(&movie("Other", "2020-01-01")).await;
    let invalid = json!({"detail": "Invalid input data."});
    let not_found = json!({"detail": "Movie with the given ID was not found."});

    // Renaming onto another movie's (name, date).
    let (status, body) = json(
        app.patch_json(&movie_url(other), &json!({"name": "Taken"}))
            .await,
    )
    .await;
    assert_eq!((status, &body), (400, &invalid));
    // A NOT NULL field set to null, as the original's database refused it.
    let (status, body) = json(
        app.patch_json(&movie_url(other), &json!({"overview": null}))
            .await,
    )
    .await;
    assert_eq!((status, &body), (400, &invalid));

    for body in [json!({"score": 1}), json!({}), json!({"name": null})] {
        let (status, response) = json(app.patch_json(&movie_url(other + 100), &body).await).await;
        assert_eq!((status, &response), (404, &not_found), "{body}");
    }
    let (status, response) = json(
        app.patch_json(&movie_url("4294967296"), &json!({"score": 1}))
            .await,
    )
    .await;
    assert_eq!((status, &response), (404, &not_found));

    let (status, body) = json(
        app.patch_json(
            &movie_url(id),
            &json!({"score": 101, "status": "Done", "budget": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let kinds: Vec<&str> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["less_than_equal", "enum", "float_parsing"]);
    let (status, body) = json(app.patch_json(&movie_url("x"), &json!({})).await).await;
    assert_eq!(status, 422);
    assert_eq!(one_error(&body)["loc"], json!(["path", "movie_id"]));

    let (_, detail) = json(app.get(&movie_url(other)).await).await;
    assert_eq!(detail["name"], "Other");
    assert_eq!(detail["overview"], "Overview of Other.");
}

async fn delete_removes_the_movie_and_its_links(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let keep = app.created(&movie("Keep", "2020-01-01")).await;
    let gone = app.created(&movie("Gone", "2020-01-01")).await;
    assert_eq!(app.count("movies_genres").await, 4);
    assert_eq!(app.count("actors_movies").await, 4);
    assert_eq!(app.count("movies_languages").await, 2);

    let response = app.delete(&movie_url(gone)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.text().await.unwrap(), "");
    assert_eq!(app.count("movies_genres").await, 2);
    assert_eq!(app.count("actors_movies").await, 2);
    assert_eq!(app.count("movies_languages").await, 1);
    // The genres, actors and languages themselves stay.
    assert_eq!(app.count("genres").await, 2);

    let not_found = json!({"detail": "Movie with the given ID was not found."});
    let (status, body) = json(app.get(&movie_url(gone)).await).await;
    assert_eq!((status, &body), (404, &not_found));
    let (status, body) = json(app.delete(&movie_url(gone)).await).await;
    assert_eq!((status, &body), (404, &not_found));
    let (status, body) = json(app.delete(&movie_url("nope")).await).await;
    assert_eq!(status, 422);
    assert_eq!(one_error(&body)["loc"], json!(["path", "movie_id"]));
    let (status, _) = json(app.get(&movie_url(keep)).await).await;
    assert_eq!(status, 200);
}

/// Seeds four movies for the filter tests.
async fn filter_catalog(app: &TestApp) -> [i64; 4] {
    let mut a = movie("War of the Worlds", "2005-06-29");
    a["genres"] = json!(["science fiction", "thriller"]);
    a["actors"] = json!(["tom cruise"]);
    a["country"] = json!("us");
    a["score"] = json!(65.0);
    let mut b = movie("Peace Talks", "2005-01-01");
    b["overview"] = json!("A quiet WAR story. 100% true_ish.");
    b["genres"] = json!(["drama"]);
    b["actors"] = json!(["tom cruise", "jane doe"]);
    b["country"] = json!("gb");
    b["score"] = json!(80.0);
    let mut c = movie("Amélie", "2001-04-25");
    c["genres"] = json!(["comedy", "romance"]);
    c["actors"] = json!(["audrey tautou"]);
    c["country"] = json!("fr");
    c["score"] = json!(83.5);
    let mut d = movie("Zulu", "1964-01-22");
    d["genres"] = json!(["drama", "war"]);
    d["actors"] = json!(["michael caine"]);
    d["country"] = json!("gb");
    d["score"] = json!(72.0);
    [
        app.created(&a).await,
        app.created(&b).await,
        app.created(&c).await,
        app.created(&d).await,
    ]
}

async fn list_filters_and_sorts(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let [war, peace, amelie, zulu] = filter_catalog(&app).await;
    let ids = |page: &Value| -> Vec<i64> {
        page["movies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };
    let cases: Vec<(&str, Vec<i64>)> = vec![
        ("search=war", vec![peace, war]),
        ("search=WAR", vec![peace, war]),
        ("search=100%25", vec![peace]),
        ("search=r_o", vec![]),
        ("search=true_ish", vec![peace]),
        ("genre=drama", vec![zulu, peace]),
        ("genre=Science%20Fiction", vec![war]),
        ("actor=TOM%20CRUISE", vec![peace, war]),
        ("country=gb", vec![zulu, peace]),
        ("year=2005", vec![peace, war]),
        ("min_score=80", vec![amelie, peace]),
        ("country=GB&genre=drama&year=1964", vec![zulu]),
        ("sort=id", vec![war, peace, amelie, zulu]),
        ("sort=-id", vec![zulu, amelie, peace, war]),
        ("sort=name", vec![amelie, peace, war, zulu]),
        ("sort=-name", vec![zulu, war, peace, amelie]),
        ("sort=date", vec![zulu, amelie, peace, war]),
        ("sort=-date", vec![war, peace, amelie, zulu]),
        ("sort=score", vec![war, zulu, peace, amelie]),
        ("sort=-score", vec![amelie, peace, zulu, war]),
        ("genre=western", vec![]),
    ];
    for (query, expected) in cases {
        let (status, page) = json(app.get(&format!("{MOVIES}?{query}")).await).await;
        if expected.is_empty() {
            assert_eq!(
                (status, page),
                (404, json!({"detail": "No movies found."})),
                "{query}"
            );
            continue;
        }
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(ids(&page), expected, "{query}");
        assert_eq!(page["total_items"], json!(expected.len()), "{query}");
    }
}

async fn pagination_links_keep_filters(backend: Backend) {
    let app = spawn_open_app(backend).await;
    filter_catalog(&app).await;
    let (status, page) = json(
        app.get(&format!(
            "{MOVIES}?per_page=1&page=2&sort=-score&search=u%20&country=gb&min_score=70"
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total_items"], 2);
    assert_eq!(
        page["prev_page"],
        "/theater/movies/?page=1&per_page=1&search=u&country=GB&min_score=70&sort=-score"
    );
    assert_eq!(page["next_page"], Value::Null);
    let (_, first) = json(
        app.get(&format!("{MOVIES}?per_page=1&genre=science%20fiction"))
            .await,
    )
    .await;
    assert_eq!(first["next_page"], Value::Null);
    let (_, first) = json(
        app.get(&format!("{MOVIES}?per_page=1&actor=tom%20cruise"))
            .await,
    )
    .await;
    assert_eq!(
        first["next_page"],
        "/theater/movies/?page=2&per_page=1&actor=tom+cruise"
    );
    // The link leads to the next page of the same selection.
    let next = first["next_page"]
        .as_str()
        .unwrap()
        .replace("/theater/", "/api/v1/theater/");
    let (status, second) = json(app.get(&next).await).await;
    assert_eq!(status, 200);
    assert_eq!(second["total_items"], 2);
    assert_ne!(second["movies"][0]["id"], first["movies"][0]["id"]);
}

/// Staff mode is the default: without `CATALOG_WRITES`, anonymous writes are refused.
async fn staff_mode_guards_writes(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.insert_user("user@example.com", Group::User, true).await;
    let moderator = app
        .insert_user("moderator@example.com", Group::Moderator, true)
        .await;
    let admin = app
        .insert_user("admin@example.com", Group::Admin, true)
        .await;
    let inactive = app
        .insert_user("inactive@example.com", Group::Admin, false)
        .await;
    let (user, moderator, admin, inactive, ghost) = (
        app.bearer(user),
        app.bearer(moderator),
        app.bearer(admin),
        app.bearer(inactive),
        app.bearer(inactive + 1000),
    );
    let body = movie("Guarded", "2020-01-01");
    let detail = |s: &str| json!({ "detail": s });

    // Creating: every refusal, then staff succeed.
    let post = reqwest::Method::POST;
    let refusals = [
        (None, 401, "Authorization header is missing"),
        (
            Some("Token abc"),
            401,
            "Invalid Authorization header format. Expected 'Bearer <token>'",
        ),
        (Some("Bearer not-a-jwt"), 401, "Invalid token."),
        (
            Some(inactive.as_str()),
            401,
            "User not found or not active.",
        ),
        (Some(ghost.as_str()), 401, "User not found or not active."),
        (
            Some(user.as_str()),
            403,
            "You don't have permission to modify the catalog.",
        ),
    ];
    for (auth, status, text) in &refusals {
        let response = app.send(post.clone(), MOVIES, *auth, Some(&body)).await;
        assert_eq!(response, (*status, detail(text)), "{auth:?}");
        // Authentication is checked before the body.
        let response = app
            .send(post.clone(), MOVIES, *auth, Some(&json!({})))
            .await;
        assert_eq!(
            response,
            (*status, detail(text)),
            "{auth:?} with a bad body"
        );
    }
    assert_eq!(app.count("movies").await, 0);
    let (status, created) = app
        .send(post.clone(), MOVIES, Some(&moderator), Some(&body))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, _) = app
        .send(
            post,
            MOVIES,
            Some(&admin),
            Some(&movie("By admin", "2020-01-01")),
        )
        .await;
    assert_eq!(status, 201);

    // Reading stays open.
    let (status, _) = json(app.get(&movie_url(id)).await).await;
    assert_eq!(status, 200);
    let (status, _) = json(app.get(MOVIES).await).await;
    assert_eq!(status, 200);

    // Updating and deleting.
    for method in [reqwest::Method::PATCH, reqwest::Method::DELETE] {
        let patch_body = json!({"score": 1});
        let body = (method == reqwest::Method::PATCH).then_some(&patch_body);
        for (auth, status, text) in &refusals {
            let response = app.send(method.clone(), &movie_url(id), *auth, body).await;
            assert_eq!(response, (*status, detail(text)), "{method} {auth:?}");
            // Before path validation too.
            let response = app.send(method.clone(), &movie_url("x"), *auth, body).await;
            assert_eq!(
                response,
                (*status, detail(text)),
                "{method} {auth:?} bad id"
            );
        }
    }
    let (status, _) = app
        .send(
            reqwest::Method::PATCH,
            &movie_url(id),
            Some(&admin),
            Some(&json!({"score": 1})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &movie_url(id),
            Some(&moderator),
            None,
        )
        .await;
    assert_eq!(status, 204);
}

async fn open_mode_needs_no_token(backend: Backend) {
    let app = spawn_open_app(backend).await;
    // Even a garbage Authorization header is ignored, as the original had no auth on movies.
    let (status, created) = app
        .send(
            reqwest::Method::POST,
            MOVIES,
            Some("Bearer garbage"),
            Some(&movie("Open", "2020-01-01")),
        )
        .await;
    assert_eq!(status, 201, "{created}");
}

async fn openapi_documents_every_movie_endpoint(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let (status, doc) = json(app.get("/openapi.json").await).await;
    assert_eq!(status, 200);
    let paths = &doc["paths"];
    let expected = [
        (MOVIES, "get", vec!["200", "404", "422", "500", "503"]),
        (
            MOVIES,
            "post",
            vec![
                "201", "400", "401", "403", "409", "413", "422", "500", "503",
            ],
        ),
        (
            "/api/v1/theater/movies/{movie_id}/",
            "get",
            vec!["200", "404", "422", "500", "503"],
        ),
        (
            "/api/v1/theater/movies/{movie_id}/",
            "patch",
            vec![
                "200", "400", "401", "403", "404", "413", "422", "500", "503",
            ],
        ),
        (
            "/api/v1/theater/movies/{movie_id}/",
            "delete",
            vec!["204", "401", "403", "404", "422", "500", "503"],
        ),
    ];
    for (path, method, statuses) in expected {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} is missing");
        let mut documented: Vec<&String> =
            operation["responses"].as_object().unwrap().keys().collect();
        documented.sort();
        assert_eq!(documented, statuses, "{method} {path}");
        assert_eq!(operation["tags"], json!(["movies"]));
        let writes = method != "get";
        assert_eq!(
            operation["security"].to_string().contains("bearer"),
            writes,
            "{method} {path}"
        );
    }
    let params: Vec<&str> = paths[MOVIES]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        [
            "page",
            "per_page",
            "search",
            "genre",
            "actor",
            "country",
            "year",
            "min_score",
            "sort"
        ]
    );
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["NewMovie"]["properties"]["genres"].is_object());
    assert!(schemas["MovieDetail"]["properties"]["budget"].is_object());
}

/// Details and list pages are cached; every write through the API must show at once.
async fn writes_show_at_once_through_the_cache(backend: Backend) {
    let app = spawn_app_with(backend, |env| {
        open_catalog(env);
        env.insert("CATALOG_CACHE_TTL_SECONDS".into(), "3600".into());
    })
    .await;
    let first = app.created(&movie("Cached", "2020-01-01")).await;
    // Prime both caches.
    let (_, detail) = json(app.get(&movie_url(first)).await).await;
    assert_eq!(detail["score"], 73.0);
    let (_, page) = json(app.get(MOVIES).await).await;
    assert_eq!(page["total_items"], 1);

    let (status, _) = json(
        app.patch_json(&movie_url(first), &json!({"score": 12.5}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, detail) = json(app.get(&movie_url(first)).await).await;
    assert_eq!(detail["score"], 12.5);

    let second = app.created(&movie("Also cached", "2021-01-01")).await;
    let (_, page) = json(app.get(MOVIES).await).await;
    assert_eq!(page["total_items"], 2);
    assert_eq!(page["movies"][0]["id"], second);

    assert_eq!(app.delete(&movie_url(second)).await.status(), 204);
    let (status, _) = json(app.get(&movie_url(second)).await).await;
    assert_eq!(status, 404);
    let (_, page) = json(app.get(MOVIES).await).await;
    assert_eq!(page["total_items"], 1);
    assert_eq!(page["movies"][0]["score"], 12.5);
}

/// With the cache off, a change made outside the service (another process, SQL by hand) shows on the
/// next request.
async fn without_the_cache_outside_changes_show_at_once(backend: Backend) {
    let app = spawn_app_with(backend, |env| {
        open_catalog(env);
        env.insert("CATALOG_CACHE_TTL_SECONDS".into(), "0".into());
    })
    .await;
    let id = app.created(&movie("Outside", "2020-01-01")).await;
    assert_eq!(json(app.get(&movie_url(id)).await).await.1["score"], 73.0);
    app.db
        .execute_unprepared(&format!("UPDATE movies SET score = 1 WHERE id = {id}"))
        .await
        .unwrap();
    assert_eq!(json(app.get(&movie_url(id)).await).await.1["score"], 1.0);
}

db_tests!(
    writes_show_at_once_through_the_cache,
    without_the_cache_outside_changes_show_at_once,
    an_empty_catalog_is_404,
    create_returns_the_normalised_detail,
    existing_related_rows_are_reused,
    budgets_keep_cents,
    duplicates_are_409,
    create_validation_is_422,
    concurrent_creates_share_new_rows_without_duplicates,
    concurrent_creates_of_one_movie_give_one_row,
    list_pages_newest_first,
    list_without_filters_is_byte_identical_to_the_original,
    list_query_validation_is_422,
    detail_errors,
    paths_without_trailing_slash_work,
    patch_updates_given_fields,
    patch_errors,
    delete_removes_the_movie_and_its_links,
    list_filters_and_sorts,
    pagination_links_keep_filters,
    staff_mode_guards_writes,
    open_mode_needs_no_token,
    openapi_documents_every_movie_endpoint,
);
