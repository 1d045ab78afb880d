//! The documents the platform writes, checked as their readers check them: XML against its
//! schema (xmllint), an XRechnung against the KoSIT rules, a file behind a presigned link.

pub fn reference(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../reference")
        .join(path)
}

fn check_file(program: &str, args: &[&std::ffi::OsStr], xml: &[u8]) -> (bool, String) {
    let file = std::env::temp_dir().join(format!("pn-{}.xml", shared::domain::new_id()));
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new(program)
        .args(args)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (cargo xtask test provides it): {e}"));
    let _ = std::fs::remove_file(&file);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), report)
}

pub fn xmllint(xml: &[u8], schema: &str) -> (bool, String) {
    let schema = reference(schema);
    check_file(
        "xmllint",
        &["--noout".as_ref(), "--schema".as_ref(), schema.as_os_str()],
        xml,
    )
}

/// A document behind a presigned link.
pub async fn download(http: &reqwest::Client, url: &serde_json::Value) -> Vec<u8> {
    let reply = http.get(url.as_str().unwrap()).send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    reply.bytes().await.unwrap().to_vec()
}

/// Valid against the UBL 2.1 schema `maindoc` and the KoSIT XRechnung rules.
pub fn assert_xrechnung(xml: &[u8], maindoc: &str) {
    let (valid, report) = xmllint(xml, &format!("xrechnung/ubl-2.1/maindoc/{maindoc}"));
    assert!(valid, "{report}");
    let (valid, report) = kosit(xml);
    assert!(valid, "{report}\n{}", String::from_utf8_lossy(xml));
}

pub fn kosit(xml: &[u8]) -> (bool, String) {
    let python = std::env::var("PARTNERNETZ_PYTHON")
        .expect("PARTNERNETZ_PYTHON (the venv with saxonche): run cargo xtask test");
    let script = reference("xrechnung/validate.py");
    check_file(&python, &[script.as_os_str()], xml)
}
