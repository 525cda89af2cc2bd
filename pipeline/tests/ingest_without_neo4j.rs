//! The ingest pipeline end to end without Neo4j: a real index and job store on disk, the
//! graph replaced by an in-memory fake that records what it is asked to write.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use toex_cpu::CpuPool;
use toex_extract::EntityKind;
use toex_graph::{
    AlertRow, DocumentNode, DocumentPlace, GraphClient, GraphError, GraphSettings, KnownPersonRow,
    MentionRow, SavedSearchRow, WatchRow,
};
use toex_indexer::jobs::{FileStatus, Job, JobFile, JobState, JobStore};
use toex_indexer::{SearchIndex, SearchMode, SearchRequest};
use toex_pipeline::graph::IngestGraph;
use toex_pipeline::jobs::Jobs;
use toex_pipeline::names::Names;
use toex_pipeline::{PipelineError, Services};

/// One `write_documents` call: document ids, `(document, kind, value)` mentions, and
/// `(document, operation)` memberships.
type Write = (
    Vec<String>,
    Vec<(String, EntityKind, String)>,
    Vec<(String, String)>,
);

/// The graph as a list of what was written; `down` makes every call an outage.
#[derive(Default)]
struct FakeGraph {
    persons: Vec<KnownPersonRow>,
    writes: Mutex<Vec<Write>>,
    down: AtomicBool,
}

impl FakeGraph {
    fn check(&self) -> Result<(), GraphError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(GraphError::Unavailable {
                reason: "the fake graph is down".to_owned(),
            });
        }
        Ok(())
    }

    fn writes(&self) -> Vec<Write> {
        self.writes.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl IngestGraph for FakeGraph {
    async fn person_count(&self) -> Result<i64, GraphError> {
        self.check()?;
        Ok(self.persons.len() as i64)
    }

    async fn known_persons(&self) -> Result<Vec<KnownPersonRow>, GraphError> {
        self.check()?;
        Ok(self.persons.clone())
    }

    async fn write_documents(
        &self,
        docs: &[DocumentNode],
        mentions: &[MentionRow<'_>],
        operations: &[(&str, &str, &str)],
        _places: &[DocumentPlace],
    ) -> Result<(), GraphError> {
        self.check()?;
        self.writes.lock().unwrap().push((
            docs.iter().map(|d| d.id.clone()).collect(),
            mentions
                .iter()
                .map(|m| {
                    let f = &m.mention.found;
                    (m.document.to_owned(), f.kind, f.value.clone())
                })
                .collect(),
            operations
                .iter()
                .map(|(d, _, o)| ((*d).to_owned(), (*o).to_owned()))
                .collect(),
        ));
        Ok(())
    }

    async fn link_mentions(&self, _mentions: &[MentionRow<'_>]) -> Result<(), GraphError> {
        self.check()
    }

    async fn saved_searches(&self) -> Result<Vec<SavedSearchRow>, GraphError> {
        self.check()?;
        Ok(Vec::new())
    }

    async fn watches(&self) -> Result<Vec<WatchRow>, GraphError> {
        self.check()?;
        Ok(Vec::new())
    }

    async fn record_alerts(&self, _alerts: &[AlertRow]) -> Result<(), GraphError> {
        self.check()
    }
}

/// Services over `dir` with `graph` as the graph; no model is loaded.
fn services(dir: &Path, graph: Arc<FakeGraph>) -> Services {
    let store = JobStore::open(&dir.join("jobs")).unwrap();
    let (jobs, _queue) = Jobs::new(store, 4);
    let translation =
        toex_pipeline::TranslationModels::fixed(toex_inference::translate::Translators::none());
    Services {
        replication: None,
        work: None,
        shared_media: None,
        // Never connected: the pipeline's writes and the alert check go through
        // `ingest_graph`.
        graph: GraphClient::new(GraphSettings::default()).unwrap(),
        ingest_graph: graph,
        index: Arc::new(SearchIndex::open_or_create(&dir.join("index")).unwrap()),
        cpu: CpuPool::new("test", 1, 16).unwrap(),
        jobs_cpu: CpuPool::new("test-jobs", 1, 16).unwrap(),
        models: Vec::new(),
        jobs,
        profiles: Arc::new(toex_analytics::profiles::ProfileConfig::builtin().clone()),
        names: Arc::new(Names::new()),
        alerts: Arc::default(),
        translation: Arc::new(translation),
        speech: None,
        version: "test",
    }
}

/// A job over `files` (name, text) written into `dir`.
fn job(dir: &Path, files: &[(&str, &str)]) -> Job {
    let files = files
        .iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            JobFile {
                name: (*name).to_owned(),
                bytes: text.len() as u64,
                path,
                document_id: None,
                within: None,
                status: FileStatus::Waiting,
            }
        })
        .collect();
    Job::new(
        "WYP".to_owned(),
        Some("Operation Aurora".to_owned()),
        Some("en".to_owned()),
        files,
    )
}

fn linked(job: &Job) -> Vec<bool> {
    job.files
        .iter()
        .map(|f| match &f.status {
            FileStatus::Done { graph_linked, .. } => *graph_linked,
            other => panic!("{}: {other:?}", f.name),
        })
        .collect()
}

#[tokio::test]
async fn an_ingest_batch_is_one_graph_write_with_its_mentions_and_operation() {
    let dir = tempfile::tempdir().unwrap();
    let graph = Arc::new(FakeGraph::default());
    let services = services(dir.path(), graph.clone());
    let job = job(
        dir.path(),
        &[
            ("a.txt", "Call me on 07700 900123 tonight."),
            ("b.txt", "The car was YX19 ABC near BD1 4AS."),
            ("c.txt", "Nothing to see here."),
        ],
    );
    let done = services.run_job(job).await.unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(linked(&done), [true, true, true]);
    let writes = graph.writes();
    assert_eq!(writes.len(), 1, "one transaction for the batch: {writes:?}");
    let (docs, mentions, operations) = &writes[0];
    assert_eq!(docs.len(), 3);
    assert!(
        mentions
            .iter()
            .any(|(_, kind, value)| *kind == EntityKind::Phone && value == "+447700900123"),
        "{mentions:?}"
    );
    assert!(
        mentions
            .iter()
            .any(|(_, kind, _)| *kind == EntityKind::Vehicle)
    );
    assert_eq!(operations.len(), 3);
    assert!(operations.iter().all(|(_, op)| op == "Operation Aurora"));
}

// Regression: a job ran on while Neo4j was away and left its files done but unlinked
// for good (a replica restarting mid-job lost the graph nodes of whole batches).
#[tokio::test]
async fn a_job_waits_out_a_graph_outage_searchable_then_links_its_documents() {
    let dir = tempfile::tempdir().unwrap();
    let graph = Arc::new(FakeGraph::default());
    graph.down.store(true, Ordering::SeqCst);
    let services = Arc::new(services(dir.path(), graph.clone()));
    let job = job(dir.path(), &[("note.txt", "The meeting is at the garage.")]);
    let running = tokio::spawn({
        let services = services.clone();
        async move { services.run_job(job).await }
    });
    // Searchable while the graph is away; the job holds until the graph has it.
    let scope = toex_indexer::Scope::new(&["WYP".to_owned()], &[], false).unwrap();
    let search = SearchRequest {
        mode: SearchMode::Keyword,
        ..SearchRequest::new("garage", scope)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while services.index.search(&search).unwrap().total == 0 {
        assert!(std::time::Instant::now() < deadline, "never searchable");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!running.is_finished(), "the job ended without the graph");
    assert!(graph.writes().is_empty());
    graph.down.store(false, Ordering::SeqCst);
    let done = running.await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(linked(&done), [true]);
    assert_eq!(graph.writes().len(), 1, "one write once the graph is back");
    assert_eq!(services.index.search(&search).unwrap().total, 1);
}

#[tokio::test]
async fn a_known_person_is_found_by_name_in_new_material() {
    let dir = tempfile::tempdir().unwrap();
    let graph = Arc::new(FakeGraph {
        persons: vec![KnownPersonRow {
            id: "P1".to_owned(),
            force: Some("WYP".to_owned()),
            name: Some("محمد الجبوري".to_owned()),
            aliases: Some(vec!["Mohammed Al-Jubouri".to_owned()]),
        }],
        ..Default::default()
    });
    let services = services(dir.path(), graph.clone());
    let job = job(
        dir.path(),
        &[(
            "chat.txt",
            "Mohammed Al-Jubouri says nobody talks to the police.",
        )],
    );
    services.run_job(job).await.unwrap();
    let writes = graph.writes();
    assert!(
        writes[0]
            .1
            .iter()
            .any(|(_, kind, value)| *kind == EntityKind::Person && value == "P1"),
        "{writes:?}"
    );
}

#[tokio::test]
async fn the_gazetteer_names_only_persons_of_the_documents_own_force() {
    let dir = tempfile::tempdir().unwrap();
    let person = |id: &str, force: &str| KnownPersonRow {
        id: id.to_owned(),
        force: Some(force.to_owned()),
        name: Some("Mohammed Al-Jubouri".to_owned()),
        aliases: None,
    };
    let graph = Arc::new(FakeGraph {
        persons: vec![person("GMP-P1", "GMP"), person("MPS-P7", "MPS")],
        ..Default::default()
    });
    let services = services(dir.path(), graph.clone());
    let job = job(
        dir.path(),
        &[(
            "chat.txt",
            "Mohammed Al-Jubouri says nobody talks to the police.",
        )],
    );
    services.run_job(job).await.unwrap();
    // The WYP document records no person another force holds (its index entry and its
    // graph write alike), while a phone in it is still found.
    let writes = graph.writes();
    assert!(
        !writes[0]
            .1
            .iter()
            .any(|(_, kind, _)| *kind == EntityKind::Person),
        "{writes:?}"
    );
    let wyp = toex_indexer::Scope::new(&["WYP".to_owned()], &[], false).unwrap();
    for id in ["GMP-P1", "MPS-P7"] {
        let key = EntityKind::Person.key(id);
        assert!(
            services
                .index
                .mentioning(&key, &wyp, 10)
                .unwrap()
                .is_empty()
        );
    }
    // Nor does the background re-linker, which searches stored documents again.
    let relinked = services.refresh_names().await.unwrap().unwrap();
    assert_eq!((relinked.persons, relinked.mentions), (2, 0));
}

#[tokio::test]
async fn a_refused_file_fails_alone_and_the_rest_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let graph = Arc::new(FakeGraph::default());
    let services = services(dir.path(), graph.clone());
    let job = job(
        dir.path(),
        &[("empty.txt", "   \n"), ("good.txt", "A plain note.")],
    );
    let done = services.run_job(job).await.unwrap();
    assert!(
        matches!(&done.files[0].status, FileStatus::Failed { .. }),
        "{:?}",
        done.files[0].status
    );
    assert!(matches!(
        &done.files[1].status,
        FileStatus::Done {
            graph_linked: true,
            ..
        }
    ));
    assert_eq!(graph.writes().len(), 1);
    assert_eq!(graph.writes()[0].0.len(), 1);
}

#[tokio::test]
async fn an_empty_document_is_refused_as_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path(), Arc::new(FakeGraph::default()));
    let doc = toex_indexer::NewDocument {
        title: "t".to_owned(),
        text: String::new(),
        language: None,
        translation: None,
        force: "WYP".to_owned(),
        operation: None,
        source_type: "text".to_owned(),
        segments: Vec::new(),
        mentions: Vec::new(),
        translation_meta: None,
        correction: None,
        provenance: None,
    };
    let err = services.ingest(doc).await.unwrap_err();
    assert!(err.bad_input().is_some(), "{err}");
    assert!(matches!(err, PipelineError::Index(_)), "{err:?}");
}

/// A ZIP written with the `zip` crate: a note and a copy of it under another name, an
/// email carrying an attachment, and an entry whose path climbs out of the archive.
fn phone_download() -> Vec<u8> {
    use std::io::Write;
    let email = concat!(
        "From: Jay Marsh <jay.marsh@example.invalid>\r\n",
        "To: dana.w@example.invalid\r\n",
        "Subject: directions\r\n",
        "Date: Tue, 12 Mar 2024 20:00:00 +0000\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n",
        "--b1\r\nContent-Type: text/plain\r\n\r\nSee the attached directions.\r\n",
        "--b1\r\nContent-Type: text/plain\r\n",
        "Content-Disposition: attachment; filename=\"directions.txt\"\r\n\r\n",
        "Left at the mill, second unit on Kirkgate.\r\n--b1--\r\n"
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, body) in [
        ("notes/todo.txt", "Pay Jay 450 on Friday."),
        ("Downloads/todo (1).txt", "Pay Jay 450 on Friday."),
        ("Mail/message.eml", email),
        ("../escape.txt", "never written outside the job"),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[tokio::test]
async fn an_archive_opens_into_documents_that_know_where_they_were_found() {
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path(), Arc::new(FakeGraph::default()));
    let upload = dir.path().join("upload");
    std::fs::create_dir(&upload).unwrap();
    let archive = upload.join("phone.zip");
    std::fs::write(&archive, phone_download()).unwrap();
    let job = Job::new(
        "WYP".to_owned(),
        None,
        None,
        vec![JobFile {
            name: "phone.zip".to_owned(),
            path: archive,
            bytes: 0,
            document_id: None,
            within: None,
            status: FileStatus::Waiting,
        }],
    );
    let done = services.run_job(job).await.unwrap();
    let status = |name: &str| {
        done.files
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the job: {:?}", done.files))
            .status
            .clone()
    };
    assert_eq!(status("phone.zip"), FileStatus::Opened { files: 4 });
    let FileStatus::Failed { error } = status("phone.zip/../escape.txt") else {
        panic!("the climbing entry was taken out");
    };
    assert!(error.contains("points outside the archive"), "{error}");
    let document = |name: &str| match status(name) {
        FileStatus::Done { document, .. } => document,
        other => panic!("{name}: {other:?}"),
    };
    let scope = toex_indexer::Scope::new(&["WYP".to_owned()], &[], false).unwrap();
    let email = document("phone.zip/Mail/message.eml");
    let attachment = services
        .index
        .get(
            &document("phone.zip/Mail/message.eml/directions.txt"),
            &scope,
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        attachment.text,
        "Left at the mill, second unit on Kirkgate."
    );
    let provenance = attachment.provenance.unwrap();
    let parent = provenance.parent.unwrap();
    assert_eq!(parent.name, "phone.zip/Mail/message.eml");
    assert_eq!(parent.document.as_deref(), Some(email.as_str()));
    assert_eq!((parent.path.as_str(), parent.depth), ("directions.txt", 2));
    assert_eq!(provenance.sha256.len(), 64);
    let mail = services.index.get(&email, &scope).unwrap().unwrap();
    assert_eq!(mail.source_type, "email");
    assert!(
        mail.provenance
            .unwrap()
            .headers
            .contains(&("Subject".to_owned(), "directions".to_owned()))
    );
    // The note and its copy are one document that knows both places.
    let note = document("phone.zip/notes/todo.txt");
    assert_eq!(note, document("phone.zip/Downloads/todo (1).txt"));
    let p = services
        .index
        .get(&note, &scope)
        .unwrap()
        .unwrap()
        .provenance
        .unwrap();
    let mut places: Vec<String> = std::iter::once(p.parent.unwrap().path)
        .chain(p.also_found.into_iter().map(|pl| pl.parent.unwrap().path))
        .collect();
    places.sort();
    assert_eq!(places, ["Downloads/todo (1).txt", "notes/todo.txt"]);
    // Nothing was written outside the job's folder.
    let mut written = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                written.push(path);
            }
        }
    }
    assert!(
        !written
            .iter()
            .any(|p| p.to_string_lossy().contains("escape")),
        "{written:?}"
    );
    assert!(!dir.path().join("escape.txt").exists());
}
