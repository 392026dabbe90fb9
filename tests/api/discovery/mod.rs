//! `/api/v1/theater/{genres,languages,countries,actors}/`: the browse indexes and an actor's movies.

mod actors;
mod indexes;
mod similar;
mod suggest;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::movies::movie;

/// Seeds three movies and returns their ids.
async fn browse_catalog(app: &TestApp) -> [i64; 3] {
    let rows = [
        // name | date | genres | actors | languages | country
        (
            "Alpha",
            "2001-01-01",
            "drama,war",
            "tom cruise,ann lee",
            "english",
            "us",
        ),
        (
            "Beta",
            "2005-01-01",
            "drama",
            "ann lee",
            "english,french",
            "fr",
        ),
        (
            "Gamma",
            "1999-01-01",
            "comedy",
            "María Evoli",
            "spanish",
            "us",
        ),
    ];
    let mut ids = [0; 3];
    for (id, (name, date, genres, actors, languages, country)) in ids.iter_mut().zip(rows) {
        let list = |items: &str| json!(items.split(',').collect::<Vec<_>>());
        let mut body = movie(name, date);
        body["genres"] = list(genres);
        body["actors"] = list(actors);
        body["languages"] = list(languages);
        body["country"] = json!(country);
        *id = app.created(&body).await;
    }
    ids
}

/// `[name, movies]` of each entry, for compact assertions.
fn name_counts(items: &Value) -> Vec<(String, i64)> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["movies"].as_i64().unwrap(),
            )
        })
        .collect()
}
