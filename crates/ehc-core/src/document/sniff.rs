//! The content type of an upload, from its first bytes only: never from the file name or the
//! browser's `Content-Type`, which the sender chooses. Pure: the `infer` crate's signature
//! checks (no I/O), with stricter checks of our own where its own are lenient.

use super::ContentType;

/// How many first bytes [`sniff`] needs to tell every accepted type apart (a Word `.docx`
/// names its `word/` folder in the ZIP's second or third entry, within a few kilobytes; an
/// OLE2 `.doc` has its root directory entry in the first sectors). Shorter content is sniffed
/// whole.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The CLSID of a Word 97–2003 document's root storage, {00020906-0000-0000-C000-000000000046},
/// as stored (its first three fields little-endian).
const WORD_CLSID: [u8; 16] = [
    0x06, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

/// The accepted type of content beginning with `head` (up to [`SNIFF_BYTES`] of it), or
/// `None` when it is none of them — an executable renamed `.pdf`, a plain ZIP, a GIF, text.
///
/// Checks, in order: `%PDF-` at the very start (not anywhere in the first kilobyte, as readers
/// tolerate: a file that starts otherwise is not taken for a PDF); a ZIP only when it is a
/// Word document (`infer::doc::is_docx`); an OLE2 compound file whose root storage is Word's
/// (when its directory lies beyond `head`, the compound-file header alone decides); JPEG; PNG;
/// HEIC/HEIF; then the ISO media files by their `ftyp` brand — M4A, QuickTime, MP4 —, MP3 and
/// WAV.
pub fn sniff(head: &[u8]) -> Option<ContentType> {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    if head.starts_with(b"%PDF-") {
        return Some(ContentType::Pdf);
    }
    if infer::archive::is_zip(head) {
        return infer::doc::is_docx(head).then_some(ContentType::Docx);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return ole2_is_word(head).then_some(ContentType::Doc);
    }
    if infer::image::is_jpeg(head) {
        return Some(ContentType::Jpeg);
    }
    if infer::image::is_png(head) {
        return Some(ContentType::Png);
    }
    if infer::image::is_heif(head) {
        return Some(ContentType::Heic);
    }
    if infer::audio::is_m4a(head) {
        return Some(ContentType::M4a);
    }
    if infer::video::is_mov(head) {
        return Some(ContentType::QuickTime);
    }
    if infer::video::is_mp4(head) {
        return Some(ContentType::Mp4);
    }
    if infer::audio::is_mp3(head) {
        return Some(ContentType::Mp3);
    }
    if infer::audio::is_wav(head) {
        return Some(ContentType::Wav);
    }
    None
}

/// Whether an OLE2 compound file (MS-CFB) is a Word document: its root directory entry (the
/// first entry of the first directory sector, named in the header at offset 0x30) carries
/// Word's CLSID at offset 0x50. When that sector lies beyond `head`, `true`: the header is all
/// there is to go on, and the file is served only as an attachment.
fn ole2_is_word(head: &[u8]) -> bool {
    let u16_at = |at: usize| {
        head.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        head.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(shift), Some(first_dir)) = (u16_at(0x1E), u32_at(0x30)) else {
        return false;
    };
    // Sector sizes are 512 (shift 9, version 3) or 4096 (shift 12, version 4) bytes.
    if shift != 9 && shift != 12 {
        return false;
    }
    let sector = 1usize << shift;
    let Some(root) = usize::try_from(first_dir)
        .ok()
        .and_then(|s| s.checked_add(1))
        .and_then(|s| s.checked_mul(sector))
    else {
        return false;
    };
    match head.get(root + 0x50..root + 0x60) {
        Some(clsid) => clsid == WORD_CLSID,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_executable_and_text_are_refused_even_with_pdf_inside() {
        let mut exe = b"MZ\x90\x00".to_vec();
        exe.extend_from_slice(b"%PDF-1.7 hidden");
        assert_eq!(sniff(&exe), None);
        assert_eq!(sniff(b"just some text"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn a_plain_zip_is_refused() {
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&[0; 26]);
        zip.extend_from_slice(b"notes.txt");
        assert_eq!(sniff(&zip), None);
    }
}
