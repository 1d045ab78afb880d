//! `cargo xtask lint`: cfn-lint on the SAM template, twice.
//!
//! 1. On the plain CloudFormation that aws-sam-translator makes of it: raw SAM
//!    hides what SAM generates (roles, permissions, stages) from cfn-lint.
//! 2. On the template itself with AWS's serverless rules, which understand SAM.
//!
//! Zero findings is the bar: any finding fails the command.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::process;
use crate::tools::{self, Venv};

const TEMPLATE: &str = "infra/template.yaml";
const REGION: &str = "eu-central-1";

/// Translates SAM to CloudFormation. cfn-lint's YAML loader understands the
/// short tags (`!Ref`, `!Sub`, `!GetAtt`). The template names no managed
/// policies, so the policy loader needs no IAM access and returns none.
const TRANSLATE_SAM: &str = r#"
import json, sys
from cfnlint.decode import cfn_yaml
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

class NoManagedPolicies:
    def load(self):
        return {}

source, target = sys.argv[1], sys.argv[2]
template = cfn_yaml.load(source)
for name, resource in template.get("Resources", {}).items():
    properties = resource.get("Properties") or {}
    code_uri = properties.get("CodeUri")
    if resource.get("Type") == "AWS::Serverless::Function" and isinstance(code_uri, str) and not code_uri.startswith("s3://"):
        # `sam build` + `sam package` replace the local path with an upload.
        properties["CodeUri"] = {"Bucket": "sam-package-placeholder", "Key": name + ".zip"}
try:
    translated = transform(template, {}, NoManagedPolicies())
except InvalidDocumentException as error:
    for cause in error.causes:
        print(f"{source}: {cause.message}", file=sys.stderr)
    sys.exit(1)
with open(target, "w") as out:
    json.dump(translated, out, indent=2)
"#;

pub fn run(root: &Path) -> Result<()> {
    let venv = tools::ensure_venv(root)?;
    let out_dir = root.join("target").join("lint");
    fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let translated = out_dir.join("template.cfn.json");

    println!("xtask: translating {TEMPLATE} with aws-sam-translator");
    let translate = process::status(
        python(&venv, root)
            .args(["-c", TRANSLATE_SAM, TEMPLATE])
            .arg(&translated),
    )?;
    if !translate.success() {
        // The script itself is not worth echoing; its findings are printed above.
        bail!("aws-sam-translator rejected {TEMPLATE} ({translate})");
    }

    // Both passes run even if the first finds something, to show all findings at once.
    let mut failed = Vec::new();
    println!(
        "xtask: cfn-lint on the translated template {}",
        translated.display()
    );
    if !process::status(cfn_lint(&venv, root).arg("--").arg(&translated))?.success() {
        failed.push("cfn-lint on the translated template");
    }
    println!("xtask: cfn-lint with the serverless rules on {TEMPLATE}");
    let mut serverless = cfn_lint(&venv, root);
    serverless.args([
        "--append-rules",
        "cfn_lint_serverless.rules",
        "--",
        TEMPLATE,
    ]);
    if !process::status(&mut serverless)?.success() {
        failed.push("cfn-lint with the serverless rules");
    }

    if !failed.is_empty() {
        bail!("lint findings from: {}", failed.join(", "));
    }
    println!("xtask: lint clean");
    Ok(())
}

fn python(venv: &Venv, root: &Path) -> Command {
    let mut command = Command::new(venv.python());
    command.current_dir(root).env("AWS_DEFAULT_REGION", REGION);
    command
}

fn cfn_lint(venv: &Venv, root: &Path) -> Command {
    let mut command = Command::new(venv.bin("cfn-lint"));
    command
        .current_dir(root)
        .env("AWS_DEFAULT_REGION", REGION)
        // Informational findings count too: the bar is zero findings.
        .args(["--include-checks", "I"]);
    command
}
