//! Documents in the core: the type sniffed from the first bytes against the allow-list, the
//! content hash, sizes and names; and the document service on the in-memory store — who may
//! upload and download, what an upload writes (the row, the receipt on the timeline, the audit
//! entry, the alert) and that every refusal writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::audit::AuditKind;
use ehc_core::case::timeline::Visibility;
use ehc_core::case::views::{ViewContent, ViewSpace};
use ehc_core::case::{Attachment, CaseId, CaseService, EventNumber, NewCase, ReceivedBy};
use ehc_core::document::{
    ContentHash, ContentType, DocumentError, DocumentId, DocumentKind, DocumentService, MB,
    NewDocument, SizeLimits, StoredBlob, clean_file_name, size_in_words, sniff,
};
use ehc_core::outbox::{CaseUpdate, MessageContent, Recipient};
use ehc_core::password::PasswordHash;
use ehc_core::ports::Store;
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::test_support::{InMemoryStore, SeededSecretSource};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::{date, datetime};
use uuid::Uuid;

const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 UTC);

// ---- sniffing ----------------------------------------------------------------------------------

/// A ZIP of stored entries, as Word orders a `.docx`'s.
fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = Vec::new();
    for (name, data) in entries {
        let len = u32::try_from(data.len()).unwrap().to_le_bytes();
        zip.extend_from_slice(
            b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        );
        zip.extend_from_slice(&len);
        zip.extend_from_slice(&len);
        zip.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        zip.extend_from_slice(&[0, 0]);
        zip.extend_from_slice(name.as_bytes());
        zip.extend_from_slice(data);
    }
    zip
}

/// An OLE2 compound file (MS-CFB, 512-byte sectors) whose root entry carries `clsid`.
fn ole2(clsid: [u8; 16]) -> Vec<u8> {
    let mut file = vec![0u8; 1024];
    file[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    file[0x1E] = 9; // sector shift: 512 bytes
    file[0x30..0x34].copy_from_slice(&0u32.to_le_bytes()); // first directory sector: 0
    file[512 + 0x50..512 + 0x60].copy_from_slice(&clsid);
    file
}

/// An ISO media file's start with this `ftyp` major brand and compatible brands.
fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let size = u32::try_from(16 + 4 * compatible.len()).unwrap();
    let mut file = size.to_be_bytes().to_vec();
    file.extend_from_slice(b"ftyp");
    file.extend_from_slice(major);
    file.extend_from_slice(&[0, 0, 0, 0]);
    for brand in compatible {
        file.extend_from_slice(*brand);
    }
    file.resize(64, 0);
    file
}

const WORD: [u8; 16] = [
    0x06, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];
const EXCEL: [u8; 16] = [
    0x20, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

#[test]
fn each_accepted_type_is_told_from_its_first_bytes() {
    let docx = stored_zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("_rels/.rels", b"<Relationships/>"),
        ("word/_rels/document.xml.rels", b"<Relationships/>"),
        ("word/document.xml", b"<w:document/>"),
    ]);
    let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    wav.resize(44, 0);
    let cases: Vec<(Vec<u8>, ContentType)> = vec![
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(), ContentType::Pdf),
        (docx, ContentType::Docx),
        (ole2(WORD), ContentType::Doc),
        (
            b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00".to_vec(),
            ContentType::Jpeg,
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
            ContentType::Png,
        ),
        (ftyp(b"heic", &[b"mif1", b"heic"]), ContentType::Heic),
        (ftyp(b"mif1", &[b"mif1", b"heic"]), ContentType::Heic),
        (
            ftyp(b"isom", &[b"isom", b"iso2", b"mp41"]),
            ContentType::Mp4,
        ),
        (ftyp(b"qt  ", &[b"qt  "]), ContentType::QuickTime),
        (ftyp(b"M4A ", &[b"M4A ", b"mp42"]), ContentType::M4a),
        (
            b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec(),
            ContentType::Mp3,
        ),
        (b"\xFF\xFB\x90\x64\x00".to_vec(), ContentType::Mp3),
        (wav, ContentType::Wav),
    ];
    for (bytes, expected) in cases {
        assert_eq!(sniff(&bytes), Some(expected), "{expected:?}");
    }
}

#[test]
fn what_is_not_on_the_allow_list_is_refused_whatever_it_contains() {
    let mut exe = b"MZ\x90\x00\x03\x00".to_vec();
    exe.extend_from_slice(b"%PDF-1.7");
    let plain_zip = stored_zip(&[("notes.txt", b"hello"), ("more.txt", b"x")]);
    let spreadsheet = stored_zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("_rels/.rels", b"<Relationships/>"),
        ("xl/_rels/workbook.xml.rels", b"<Relationships/>"),
        ("xl/workbook.xml", b"<workbook/>"),
    ]);
    for (what, bytes) in [
        ("an executable with %PDF inside", exe),
        ("text", b"Dear Sir or Madam".to_vec()),
        ("a GIF", b"GIF89a\x01\x00\x01\x00".to_vec()),
        ("a plain ZIP", plain_zip),
        ("an Excel workbook", spreadsheet),
        ("an old Excel file", ole2(EXCEL)),
        ("HTML", b"<!DOCTYPE html><script>".to_vec()),
        ("nothing", Vec::new()),
    ] {
        assert_eq!(sniff(&bytes), None, "{what}");
    }
}

#[test]
fn a_content_hash_has_one_spelling_of_64_lower_case_hex_digits() {
    let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let hash = ContentHash::parse(hex).unwrap();
    assert_eq!(hash.to_hex(), hex);
    assert_eq!(hash.as_bytes()[0], 0xba);
    assert!(ContentHash::parse(&hex.to_uppercase()).is_err());
    assert!(ContentHash::parse(&hex[..63]).is_err());
    assert!(ContentHash::parse(&format!("{}g", &hex[..63])).is_err());
}

#[test]
fn limits_follow_the_family_of_the_type_and_read_as_gov_uk_writes_them() {
    let limits = SizeLimits::default();
    assert_eq!(limits.for_type(ContentType::Docx), 20 * MB);
    assert_eq!(limits.for_type(ContentType::Heic), 20 * MB);
    assert_eq!(limits.for_type(ContentType::Wav), 50 * MB);
    assert_eq!(limits.for_type(ContentType::QuickTime), 200 * MB);
    assert_eq!(limits.largest(), 200 * MB);
    assert_eq!(size_in_words(20 * MB), "20 MB");
    assert_eq!(size_in_words(MB + MB / 2), "1.5 MB");
    assert_eq!(size_in_words(3000), "3 KB");
}

#[test]
fn a_file_name_keeps_its_last_part_without_control_characters() {
    assert_eq!(
        clean_file_name("C:\\Users\\pat\\Reports\\EP report.pdf").as_deref(),
        Some("EP report.pdf")
    );
    assert_eq!(
        clean_file_name("../../etc/passwd").as_deref(),
        Some("passwd")
    );
    assert_eq!(
        clean_file_name("report\u{202E}fdp.exe").as_deref(),
        Some("reportfdp.exe")
    );
    assert_eq!(clean_file_name(" \n "), None);
    assert_eq!(clean_file_name(&"a".repeat(500)).unwrap().len(), 120);
}

// ---- the service --------------------------------------------------------------------------------

struct World {
    store: InMemoryStore,
    documents: DocumentService<InMemoryStore, Arc<SeededSecretSource>>,
    case: CaseId,
    other_case: CaseId,
}

fn id(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

const OFFICER: u128 = 1;
const PARENT: u128 = 2;
const SENDCO: u128 = 3;
const OTHER_SENDCO: u128 = 4;
const CONTRIBUTOR: u128 = 5;
const STRANGER: u128 = 6;

impl World {
    async fn new() -> Self {
        let store = InMemoryStore::new();
        let secrets = Arc::new(SeededSecretSource::new(5));
        let cases = CaseService::new(store.clone(), secrets.clone(), SecuritySettings::default());
        let world_store = store.clone();
        person(
            &store,
            OFFICER,
            "officer@anytown.example",
            Some(Role::LaOfficer),
        )
        .await;
        let new_case = |reference: &str| NewCase {
            la_reference: reference.into(),
            given_name: "Ava".into(),
            family_name: "Thornbury".into(),
            date_of_birth: date!(2019 - 05 - 01),
            received_on: date!(2026 - 01 - 05),
            received_by: ReceivedBy::Post,
            settings: vec![Urn::parse("100001").unwrap()],
        };
        let case = cases
            .create(id(OFFICER), new_case("EHC-1"), NOW, NOW.date(), None)
            .await
            .unwrap();
        let other_case = cases
            .create(id(OFFICER), new_case("EHC-2"), NOW, NOW.date(), None)
            .await
            .unwrap();
        let sendco = |urn: &str| Role::Sendco {
            setting: Urn::parse(urn).unwrap(),
        };
        person(
            &store,
            PARENT,
            "pat@example.com",
            Some(Role::ParentCarer { case }),
        )
        .await;
        person(&store, SENDCO, "sam@school.example", Some(sendco("100001"))).await;
        person(
            &store,
            OTHER_SENDCO,
            "bo@school.example",
            Some(sendco("100002")),
        )
        .await;
        person(
            &store,
            CONTRIBUTOR,
            "eli@ep.example",
            Some(Role::Contributor { case }),
        )
        .await;
        person(&store, STRANGER, "nobody@example.com", None).await;
        Self {
            store: world_store,
            documents: DocumentService::new(store, secrets, SizeLimits::default()),
            case,
            other_case,
        }
    }

    async fn upload(
        &self,
        who: u128,
        title: &str,
        size_bytes: u64,
    ) -> Result<DocumentId, DocumentError> {
        self.upload_to(who, title, size_bytes, None).await
    }

    /// An upload attached to `attach` as well.
    async fn upload_to(
        &self,
        who: u128,
        title: &str,
        size_bytes: u64,
        attach: Option<Attachment>,
    ) -> Result<DocumentId, DocumentError> {
        let new = NewDocument {
            blob: StoredBlob {
                hash: ContentHash::from_digest([7; 32]),
                size_bytes,
            },
            content_type: ContentType::Pdf,
            file_name: "C:\\fakepath\\report.pdf".into(),
            title: title.into(),
            kind: DocumentKind::Report,
        };
        self.documents
            .record_upload(id(who), self.case, new, attach, NOW, NOW.date(), None)
            .await
            .map(|d| d.id)
    }

    async fn titles(&self, who: u128) -> Result<Vec<String>, DocumentError> {
        Ok(self
            .documents
            .list(id(who), self.case, NOW)
            .await?
            .into_iter()
            .map(|d| d.title)
            .collect())
    }

    async fn audit_kinds(&self) -> Vec<AuditKind> {
        self.store
            .audit_events()
            .await
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| k.as_str().starts_with("document-"))
            .collect()
    }
}

async fn person(store: &InMemoryStore, n: u128, email: &str, role: Option<Role>) {
    let mut tx = store.begin().await.unwrap();
    tx.accounts()
        .insert(&Account {
            id: id(n),
            email: EmailAddress::parse(email).unwrap(),
            password_hash: PasswordHash::from_phc("$argon2id$unused"),
            created_at: NOW,
        })
        .await
        .unwrap();
    if let Some(role) = role {
        tx.grants()
            .insert(&RoleGrant {
                id: GrantId(Uuid::from_u128(1000 + n)),
                account: id(n),
                role,
                granted_by: Grantor::System,
                granted_at: NOW,
                expires_at: None,
                revoked: None,
            })
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

#[test]
fn an_upload_writes_the_row_its_receipt_its_audit_entry_and_an_alert_in_one_go() {
    pollster::block_on(async {
        let w = World::new().await;
        let before = w.store.outbox_messages().await.len();
        let document = w
            .upload(PARENT, "  Paediatric report ", 3 * 1024)
            .await
            .unwrap();

        let mut tx = w.store.begin().await.unwrap();
        let stored = tx.documents().get(document).await.unwrap().unwrap();
        let timeline = tx.cases().timeline(w.case, 10).await.unwrap();
        drop(tx);
        assert_eq!(stored.title, "Paediatric report");
        assert_eq!(stored.file_name, "report.pdf");
        assert_eq!(stored.uploaded_by, id(PARENT));
        assert_eq!(stored.visible_to, Visibility::PARTICIPANTS);
        assert_eq!(
            timeline[0].what,
            "Document uploaded by pat@example.com: Paediatric report (Report, PDF, 3 KB, file report.pdf)"
        );
        assert_eq!(timeline[0].actor, Some(id(PARENT)));
        assert_eq!(timeline[0].visible_to, Visibility::PARTICIPANTS);
        assert_eq!(w.audit_kinds().await, [AuditKind::DocumentUploaded]);

        let alerts: Vec<String> = w.store.outbox_messages().await[before..]
            .iter()
            .map(|m| match (&m.recipient, &m.content) {
                (
                    Recipient::Email(to),
                    MessageContent::CaseUpdate {
                        case_reference,
                        update: CaseUpdate::DocumentAdded { kind },
                    },
                ) => format!("{to} {case_reference} {kind}"),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            alerts,
            ["sam@school.example EHC-1 Report"],
            "not to the uploader"
        );
    });
}

#[test]
fn a_contributor_sees_their_own_documents_the_la_everything_and_the_family_and_setting_not_the_contributors()
 {
    pollster::block_on(async {
        let w = World::new().await;
        w.upload(PARENT, "Our views", 100).await.unwrap();
        w.upload(CONTRIBUTOR, "EP advice", 100).await.unwrap();
        w.upload(SENDCO, "SEN support plan", 100).await.unwrap();
        w.upload(OFFICER, "Decision letter", 100).await.unwrap();

        let mut all = w.titles(OFFICER).await.unwrap();
        all.sort();
        assert_eq!(
            all,
            [
                "Decision letter",
                "EP advice",
                "Our views",
                "SEN support plan"
            ]
        );
        // A contributor's upload belongs with their advice: the LA's and theirs only.
        for who in [PARENT, SENDCO] {
            let mut seen = w.titles(who).await.unwrap();
            seen.sort();
            assert_eq!(seen, ["Decision letter", "Our views", "SEN support plan"]);
        }
        assert_eq!(w.titles(CONTRIBUTOR).await.unwrap(), ["EP advice"]);
        for who in [OTHER_SENDCO, STRANGER] {
            assert_eq!(w.titles(who).await, Err(DocumentError::NotFound));
        }
    });
}

#[test]
fn a_download_is_audited_and_anyone_who_may_not_see_the_document_gets_not_found() {
    pollster::block_on(async {
        let w = World::new().await;
        let document = w.upload(PARENT, "Our views", 100).await.unwrap();
        let download =
            |who: u128, case: CaseId| w.documents.download(id(who), case, document, NOW, None);

        assert_eq!(download(SENDCO, w.case).await.unwrap().id, document);
        assert_eq!(download(PARENT, w.case).await.unwrap().id, document);
        for (who, case) in [
            (CONTRIBUTOR, w.case),
            (OTHER_SENDCO, w.case),
            (STRANGER, w.case),
            (OFFICER, w.other_case),
        ] {
            assert_eq!(download(who, case).await, Err(DocumentError::NotFound));
        }
        assert_eq!(
            w.documents
                .download(
                    id(OFFICER),
                    w.case,
                    DocumentId(Uuid::from_u128(9)),
                    NOW,
                    None
                )
                .await,
            Err(DocumentError::NotFound)
        );
        assert_eq!(
            w.audit_kinds().await,
            [
                AuditKind::DocumentUploaded,
                AuditKind::DocumentDownloaded,
                AuditKind::DocumentDownloaded
            ]
        );
    });
}

#[test]
fn a_refused_upload_writes_nothing() {
    pollster::block_on(async {
        let w = World::new().await;
        let before = (
            w.store.audit_events().await.len(),
            w.store.outbox_messages().await.len(),
        );
        assert_eq!(
            w.upload(PARENT, " \u{200B} ", 100).await,
            Err(DocumentError::MissingTitle)
        );
        assert_eq!(
            w.upload(PARENT, &"a".repeat(201), 100).await,
            Err(DocumentError::TitleTooLong)
        );
        assert_eq!(
            w.upload(PARENT, "Report", 0).await,
            Err(DocumentError::Empty)
        );
        assert_eq!(
            w.upload(PARENT, "Report", 20 * MB + 1).await,
            Err(DocumentError::TooBig { limit: 20 * MB })
        );
        assert_eq!(
            DocumentError::TooBig { limit: 20 * MB }.to_string(),
            "The selected file must be smaller than 20 MB"
        );
        for who in [OTHER_SENDCO, STRANGER] {
            assert_eq!(
                w.upload(who, "Report", 100).await,
                Err(DocumentError::NotFound)
            );
            assert_eq!(
                w.documents
                    .may_upload(id(who), w.case, None, NOW, NOW.date())
                    .await
                    .map(|_| ()),
                Err(DocumentError::NotFound)
            );
        }
        assert!(w.titles(OFFICER).await.unwrap().is_empty());
        assert_eq!(
            (
                w.store.audit_events().await.len(),
                w.store.outbox_messages().await.len()
            ),
            before
        );
    });
}

#[test]
fn an_attached_upload_is_kept_with_its_attachment_or_not_at_all() {
    pollster::block_on(async {
        let w = World::new().await;
        let about_me = Some(Attachment::Space(ViewSpace::AboutMe));
        let photo = w
            .upload_to(PARENT, "Me at the park", 100, about_me)
            .await
            .unwrap();
        let mut tx = w.store.begin().await.unwrap();
        let case = tx.cases().get(w.case).await.unwrap().unwrap().case;
        let timeline = tx.cases().timeline(w.case, 10).await.unwrap();
        tx.commit().await.unwrap();
        let placed: Vec<_> = case
            .views
            .shown(ViewSpace::AboutMe)
            .map(|i| i.content.clone())
            .collect();
        assert_eq!(
            placed,
            [ViewContent::Document {
                document: photo,
                title: "Me at the park".into()
            }]
        );
        let said: Vec<&str> = timeline.iter().map(|e| e.what.as_str()).collect();
        assert!(said.contains(&"Report added to About Me"), "{said:?}");

        // Refused attachments keep nothing of the upload: no row, no audit entry, no alert.
        let before = (
            w.store.audit_events().await.len(),
            w.store.outbox_messages().await.len(),
            w.titles(OFFICER).await.unwrap(),
        );
        assert_eq!(
            w.upload_to(OFFICER, "LA letter", 100, about_me).await,
            Err(DocumentError::NotAttachable(
                "Only the family can add to About Me and the parent or carer's views".into()
            ))
        );
        assert_eq!(
            w.documents
                .may_upload(id(OFFICER), w.case, about_me, NOW, NOW.date())
                .await
                .map(|_| ()),
            Err(DocumentError::NotAttachable(
                "Only the family can add to About Me and the parent or carer's views".into()
            ))
        );
        let no_request = Some(Attachment::Advice(EventNumber(99)));
        assert_eq!(
            w.upload_to(CONTRIBUTOR, "EP report", 100, no_request).await,
            Err(DocumentError::NotFound)
        );
        assert_eq!(
            (
                w.store.audit_events().await.len(),
                w.store.outbox_messages().await.len(),
                w.titles(OFFICER).await.unwrap(),
            ),
            before
        );
    });
}

#[test]
fn an_infected_upload_is_audited_with_what_was_found_and_nothing_else() {
    pollster::block_on(async {
        let w = World::new().await;
        w.documents
            .refuse_infected(id(PARENT), w.case, "Eicar-Test-Signature", 68, NOW, None)
            .await
            .unwrap();
        let events = w.store.audit_events().await;
        let last = events.last().unwrap();
        assert_eq!(last.kind, AuditKind::DocumentInfected);
        assert_eq!(
            last.detail,
            format!(
                "case {}: upload refused, virus found: Eicar-Test-Signature (68 bytes)",
                w.case
            )
        );
        assert!(w.titles(OFFICER).await.unwrap().is_empty());
        assert_eq!(
            w.documents
                .refuse_infected(id(STRANGER), w.case, "Eicar-Test-Signature", 68, NOW, None)
                .await,
            Err(DocumentError::NotFound)
        );
    });
}
