//! `cargo xtask bench`'s figure of the web app: the JavaScript each page loads on first
//! visit, gzipped as CloudFront sends it. Read from the build's manifest: the one bundle
//! when the app is built as one (`bundleStrategy: 'single'`), else SvelteKit's start and app
//! entries, the root layout, the page's own node and everything they import.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

/// Gzipped JavaScript one page may load (docs/web.md).
pub const BUDGET_BYTES: u64 = 100 * 1024;

/// The figures' section of docs/performance.md.
const DOC: &str = "docs/performance.md";
const BEGIN: &str = "<!-- web:begin -->";
const END: &str = "<!-- web:end -->";

/// Gzipped JavaScript per route, largest first.
pub fn per_page(root: &Path) -> Result<Vec<(String, u64)>> {
    let web = root.join("web");
    let client = web.join(".svelte-kit/output/client");
    let manifest_path = client.join(".vite/manifest.json");
    let manifest: BTreeMap<String, Value> = serde_json::from_slice(
        &fs::read(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?,
    )?;
    let app_js = fs::read_to_string(web.join(".svelte-kit/generated/client-optimized/app.js"))
        .context("reading the generated app.js (build the app first)")?;
    let entry_of = |suffix: &str| -> Result<String> {
        manifest
            .keys()
            .find(|k| k.ends_with(suffix))
            .cloned()
            .with_context(|| format!("no {suffix} in the build manifest"))
    };
    // One bundle for the whole app (`output.bundleStrategy: 'single'`): every page loads it.
    if let Ok(bundle) = entry_of("runtime/client/bundle.js") {
        let mut files = BTreeSet::new();
        collect(&manifest, &bundle, &mut files);
        let mut bytes = 0;
        for file in files {
            bytes += gzipped(&fs::read(client.join(&file)).with_context(|| file.clone())?)?;
        }
        let mut out: Vec<(String, u64)> = routes(&app_js)?
            .into_iter()
            .map(|(route, _)| (route, bytes))
            .collect();
        ensure!(!out.is_empty(), "no routes in the generated app.js");
        out.extend(till(&web)?);
        out.sort_by(|a, b| a.0.cmp(&b.0));
        return Ok(out);
    }
    let start = entry_of("runtime/client/entry.js")?;
    let app = entry_of("client-optimized/app.js")?;
    let layout = entry_of("client-optimized/nodes/0.js")?;
    let mut out = Vec::new();
    for (route, nodes) in routes(&app_js)? {
        let mut files = BTreeSet::new();
        for key in [&start, &app, &layout] {
            collect(&manifest, key, &mut files);
        }
        // The page and the layouts between it and the root's.
        for node in &nodes {
            let key = entry_of(&format!("client-optimized/nodes/{node}.js"))?;
            collect(&manifest, &key, &mut files);
        }
        let mut bytes = 0;
        for file in files {
            bytes += gzipped(&fs::read(client.join(&file)).with_context(|| file.clone())?)?;
        }
        out.push((route, bytes));
    }
    ensure!(!out.is_empty(), "no routes in the generated app.js");
    out.extend(till(&web)?);
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// The till's two pages, an entry of their own (`web/vite.till.config.ts`): the scripts its
/// page `build/kasse.html` loads.
fn till(web: &Path) -> Result<Vec<(String, u64)>> {
    let build = web.join("build");
    let page = fs::read_to_string(build.join("kasse.html"))
        .context("reading build/kasse.html (build the app first)")?;
    let mut bytes = 0;
    let mut files = 0;
    for (at, _) in page.match_indices(" src=\"/") {
        let rest = &page[at + 7..];
        let file = &rest[..rest.find('"').unwrap_or(rest.len())];
        if file.ends_with(".js") {
            bytes += gzipped(&fs::read(build.join(file)).with_context(|| file.to_string())?)?;
            files += 1;
        }
    }
    ensure!(files > 0, "build/kasse.html loads no script");
    Ok(["/kasse/[merchant]", "/kasse/[merchant]/anmelden"]
        .into_iter()
        .map(|route| (route.to_string(), bytes))
        .collect())
}

/// `"/kasse/[merchant]": [5]`, `"/partner/(portal)/profil": [16,[2]]` → each route with the
/// nodes its page loads: the page's own, then its layouts below the root's (error pages, the
/// third list, load only on an error). An entry with `~` (a page with a server load) is none of
/// this app's.
fn routes(app_js: &str) -> Result<Vec<(String, Vec<String>)>> {
    let Some(start) = app_js.find("export const dictionary = {") else {
        bail!("no dictionary in the generated app.js");
    };
    let body = &app_js[start..];
    let body = &body[..body.find("};").unwrap_or(body.len())];
    let mut out = Vec::new();
    for line in body.lines() {
        let line = line.trim();
        let Some((route, rest)) = line.split_once("\": [") else {
            continue;
        };
        let route = route.trim_start_matches('"').to_string();
        let page: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if page.is_empty() {
            continue;
        }
        let mut nodes = vec![page];
        if let Some(layouts) = rest.split_once('[').map(|(_, after)| after)
            && let Some((layouts, _)) = layouts.split_once(']')
        {
            nodes.extend(
                layouts
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    .map(str::to_string),
            );
        }
        out.push((route, nodes));
    }
    Ok(out)
}

fn collect(manifest: &BTreeMap<String, Value>, key: &str, files: &mut BTreeSet<String>) {
    let Some(chunk) = manifest.get(key) else {
        return;
    };
    if let Some(file) = chunk["file"].as_str()
        && !files.insert(file.to_string())
    {
        return;
    }
    for import in chunk["imports"].as_array().into_iter().flatten() {
        if let Some(import) = import.as_str() {
            collect(manifest, import, files);
        }
    }
}

fn gzipped(bytes: &[u8]) -> Result<u64> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

/// Builds the app, measures every page, writes the figures into docs/performance.md and
/// fails when a page is over the budget.
pub fn run(root: &Path, write_doc: bool) -> Result<()> {
    super::build(root)?;
    let pages = per_page(root)?;
    let kb = |b: u64| b as f64 / 1024.0;
    println!(
        "xtask: web app, JavaScript per page (gzipped), budget {} kB:",
        BUDGET_BYTES / 1024
    );
    let mut table = String::from("| page | JavaScript, gzipped | budget |\n|---|---|---|\n");
    for (route, bytes) in &pages {
        let mark = if *bytes <= BUDGET_BYTES {
            "✓"
        } else {
            "✗ over"
        };
        println!("  {route:<40} {:>6.1} kB {mark}", kb(*bytes));
        table.push_str(&format!(
            "| `{route}` | {:.1} kB | ≤ {} kB {mark} |\n",
            kb(*bytes),
            BUDGET_BYTES / 1024
        ));
    }
    if write_doc {
        let path = root.join(DOC);
        let doc = fs::read_to_string(&path).with_context(|| format!("reading {DOC}"))?;
        let updated = match (doc.find(BEGIN), doc.find(END)) {
            (Some(a), Some(b)) if a < b => {
                format!("{}{BEGIN}\n{table}{}", &doc[..a], &doc[b..])
            }
            _ => format!(
                "{}\n## Web app\n\nThe JavaScript each page of the web app loads on a first visit, gzipped as CloudFront sends it (`cargo xtask bench` reads the build's manifest: SvelteKit's entries, the root layout, the page and what they import; for the till's two pages, an entry of their own, the scripts `kasse.html` loads).\n\n{BEGIN}\n{table}{END}\n",
                doc.trim_end()
            ),
        };
        fs::write(&path, updated).with_context(|| format!("writing {DOC}"))?;
    }
    let over: Vec<&String> = pages
        .iter()
        .filter(|(_, b)| *b > BUDGET_BYTES)
        .map(|(r, _)| r)
        .collect();
    ensure!(
        over.is_empty(),
        "pages over the JavaScript budget: {over:?}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_routes_of_the_generated_dictionary() {
        let app_js = "x\nexport const dictionary = {\n\t\t\"/\": [2],\n\t\t\"/partner/(portal)/profil\": [16,[2]],\n\t\t\"/vorteile/[platform]\": [24,[3,7],[1]],\n\t\t\"/partner\": [~4]\n\t};\n";
        let routes = routes(app_js).unwrap();
        let nodes = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            routes,
            vec![
                ("/".to_string(), nodes(&["2"])),
                ("/partner/(portal)/profil".to_string(), nodes(&["16", "2"])),
                ("/vorteile/[platform]".to_string(), nodes(&["24", "3", "7"])),
            ]
        );
    }
}
