//! Training sessions, one per tab: created by `POST /api/sessions` with a setup, then driven by
//! id (step, reset, edit a number, change the setup, upload data) and read (the snapshot, a
//! parameter's gradient, one example explained). Sessions idle for [`IDLE`] are freed; at most
//! [`MAX_SESSIONS`] live at once (the least recently used goes first).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::api::{ApiError, ApiResult, body, compute, json, json_body};
use crate::playground::{Edit, MAX_EPOCHS_PER_REQUEST, Session, Setup, read_upload};

/// A session unused this long is freed.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
pub const MAX_SESSIONS: usize = 64;
/// The most single updates one step request may run.
const MAX_UPDATES_PER_REQUEST: usize = 10_000;

struct Entry {
    session: Arc<Mutex<Session>>,
    used: Instant,
}

/// The live sessions by id.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Entry>>,
}

impl Sessions {
    fn insert(&self, session: Session) -> String {
        let id = format!("{:032x}", rand::random::<u128>());
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(id.clone(), Entry { session: Arc::new(Mutex::new(session)), used: Instant::now() });
        id
    }

    fn get(&self, id: &str) -> Result<Arc<Mutex<Session>>, ApiError> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.get_mut(id).ok_or_else(|| {
            ApiError::not_found(format!(
                "no session {id:?} (sessions idle for 30 minutes are freed); create one with POST /api/sessions"
            ))
        })?;
        entry.used = Instant::now();
        Ok(entry.session.clone())
    }

    /// Frees the sessions idle longer than `idle`; how many.
    pub fn free_idle(&self, idle: Duration) -> usize {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let before = map.len();
        map.retain(|_, e| e.used.elapsed() < idle);
        before - map.len()
    }

    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Frees idle sessions once a minute, for as long as the server runs.
pub async fn sweep(sessions: Arc<Sessions>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        sessions.free_idle(IDLE);
    }
}

/// `?known_data=N` on any route that answers with a snapshot: the asker has the points of data
/// version N, so they are left out while the data stays the same (a playing page's frames).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    #[serde(default)]
    known_data: Option<u64>,
}

type KnownQuery = Result<Query<Known>, QueryRejection>;

fn known(q: KnownQuery) -> Result<Option<u64>, ApiError> {
    q.map(|Query(k)| k.known_data).map_err(|e| ApiError::bad(e.body_text()))
}

/// Runs `f` on session `id` on the blocking pool, answering with its snapshot.
async fn with_session(
    sessions: Arc<Sessions>,
    id: String,
    q: KnownQuery,
    f: impl FnOnce(&mut Session) -> Result<(), ApiError> + Send + 'static,
) -> ApiResult {
    let known = known(q)?;
    let session = sessions.get(&id)?;
    compute(move || {
        let mut s = session.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s)?;
        Ok(json(&s.snapshot_since(known)))
    })
    .await
}

/// `POST /api/sessions` with a setup (every field optional) → 201 `{"id", "snapshot"}`.
pub async fn create(State(sessions): State<Arc<Sessions>>, raw: Result<Bytes, BytesRejection>) -> ApiResult {
    let bytes = body(raw)?;
    compute(move || {
        let setup: Setup = json_body(&bytes)?;
        let session = Session::new(setup)?;
        let snapshot = serde_json::to_value(session.snapshot()).expect("the snapshot serialises");
        let id = sessions.insert(session);
        Ok((StatusCode::CREATED, json(&serde_json::json!({"id": id, "snapshot": snapshot}))).into_response())
    })
    .await
}

/// `GET /api/sessions/{id}` → the snapshot.
pub async fn show(State(sessions): State<Arc<Sessions>>, Path(id): Path<String>, q: KnownQuery) -> ApiResult {
    with_session(sessions, id, q, |_| Ok(())).await
}

/// `DELETE /api/sessions/{id}` → 204.
pub async fn remove(State(sessions): State<Arc<Sessions>>, Path(id): Path<String>) -> ApiResult {
    sessions.get(&id)?;
    sessions.map.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /api/sessions/{id}/setup` with a whole setup → the snapshot.
pub async fn setup(
    State(sessions): State<Arc<Sessions>>,
    Path(id): Path<String>,
    q: KnownQuery,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let setup: Setup = json_body(&body(raw)?)?;
    with_session(sessions, id, q, move |s| s.apply(setup).map_err(ApiError::from)).await
}

/// How far one step request trains.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRequest {
    #[serde(default)]
    epochs: Option<usize>,
    #[serde(default)]
    updates: Option<usize>,
}

/// `POST /api/sessions/{id}/step` with `{"epochs": n}` (default 1) or `{"updates": n}` (single
/// batches, as backprop mode steps) → the snapshot.
pub async fn step(
    State(sessions): State<Arc<Sessions>>,
    Path(id): Path<String>,
    q: KnownQuery,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let r: StepRequest = json_body(&body(raw)?)?;
    enum Run {
        Epochs(usize),
        Updates(usize),
    }
    let run = match (r.epochs, r.updates) {
        (Some(_), Some(_)) => return Err(ApiError::bad("give epochs or updates, not both")),
        (None, Some(u)) if (1..=MAX_UPDATES_PER_REQUEST).contains(&u) => Run::Updates(u),
        (None, Some(u)) => {
            return Err(ApiError::bad(format!("updates: {u} is not between 1 and {MAX_UPDATES_PER_REQUEST}")));
        }
        (e, None) => match e.unwrap_or(1) {
            e @ 1..=MAX_EPOCHS_PER_REQUEST => Run::Epochs(e),
            e => return Err(ApiError::bad(format!("epochs: {e} is not between 1 and {MAX_EPOCHS_PER_REQUEST}"))),
        },
    };
    with_session(sessions, id, q, move |s| {
        match run {
            Run::Epochs(epochs) => s.run_epochs(epochs),
            Run::Updates(updates) => (0..updates).for_each(|_| s.update()),
        }
        Ok(())
    })
    .await
}

/// `POST /api/sessions/{id}/reset` → new initial weights, epoch 0.
pub async fn reset(State(sessions): State<Arc<Sessions>>, Path(id): Path<String>, q: KnownQuery) -> ApiResult {
    with_session(sessions, id, q, |s| {
        s.reset();
        Ok(())
    })
    .await
}

/// `POST /api/sessions/{id}/edit` with `{"name": "w5", "value": 0.4}` → the snapshot.
pub async fn edit(
    State(sessions): State<Arc<Sessions>>,
    Path(id): Path<String>,
    q: KnownQuery,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let e: Edit = json_body(&body(raw)?)?;
    with_session(sessions, id, q, move |s| s.edit(&e).map_err(ApiError::from)).await
}

/// `POST /api/sessions/{id}/data` with a CSV (x1, x2, label) → the snapshot, trained from the start.
pub async fn upload(
    State(sessions): State<Arc<Sessions>>,
    Path(id): Path<String>,
    q: KnownQuery,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let bytes = body(raw)?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|e| ApiError::bad(format!("the CSV is not UTF-8: {e}")))?;
    let uploaded = read_upload(&text)?;
    with_session(sessions, id, q, move |s| s.upload(uploaded).map_err(ApiError::from)).await
}

/// Which example of the batch to show.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shown {
    #[serde(default)]
    shown: usize,
}

fn shown(q: Result<Query<Shown>, QueryRejection>) -> Result<usize, ApiError> {
    q.map(|Query(s)| s.shown).map_err(|e| ApiError::bad(e.body_text()))
}

/// `GET /api/sessions/{id}/gradient/{name}[?shown=k]` → the parameter's chains for the next batch.
pub async fn gradient(
    State(sessions): State<Arc<Sessions>>,
    Path((id, name)): Path<(String, String)>,
    q: Result<Query<Shown>, QueryRejection>,
) -> ApiResult {
    let shown = shown(q)?;
    let session = sessions.get(&id)?;
    compute(move || {
        let s = session.lock().unwrap_or_else(|e| e.into_inner());
        let g = s
            .gradient(&name, shown)
            .ok_or_else(|| ApiError::not_found(format!("no parameter {name:?} in this network")))?;
        Ok(json(&g))
    })
    .await
}

/// `GET /api/sessions/{id}/example[?shown=k]` → one example of the next batch explained.
pub async fn example(
    State(sessions): State<Arc<Sessions>>,
    Path(id): Path<String>,
    q: Result<Query<Shown>, QueryRejection>,
) -> ApiResult {
    let shown = shown(q)?;
    let session = sessions.get(&id)?;
    compute(move || {
        let s = session.lock().unwrap_or_else(|e| e.into_inner());
        Ok(json(&s.explain_example(shown)))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_sessions_are_freed_and_the_oldest_makes_room() {
        let sessions = Sessions::default();
        let first = sessions.insert(Session::new(Setup::lecture()).unwrap());
        for _ in 1..MAX_SESSIONS {
            sessions.insert(Session::new(Setup::lecture()).unwrap());
        }
        assert_eq!(sessions.len(), MAX_SESSIONS);
        sessions.insert(Session::new(Setup::lecture()).unwrap());
        assert_eq!(sessions.len(), MAX_SESSIONS);
        assert!(sessions.get(&first).is_err(), "the least recently used session made room");
        assert_eq!(sessions.free_idle(Duration::ZERO), MAX_SESSIONS);
        assert!(sessions.is_empty());
    }
}
