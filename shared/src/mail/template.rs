/// A mail template from the repository: the text file's first line is the subject,
/// the rest the plain-text body; the HTML body is a separate file. `{{name}}` marks a value.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub text: &'static str,
    pub html: &'static str,
}

impl Template {
    /// Renders subject, text and HTML; values are HTML-escaped in the HTML part.
    pub fn render(&self, vars: &[(&str, &str)]) -> (String, String, String) {
        let (subject, body) = self.text.split_once('\n').unwrap_or((self.text, ""));
        let fill = |tpl: &str, escape: bool| {
            let mut out = tpl.to_string();
            for (name, value) in vars {
                let value = if escape {
                    escape_html(value)
                } else {
                    (*value).to_string()
                };
                out = out.replace(&format!("{{{{{name}}}}}"), &value);
            }
            out
        };
        (
            fill(subject.trim(), false),
            fill(body.trim_start_matches('\n'), false),
            fill(self.html, true),
        )
    }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Template;

    #[test]
    fn fills_values_and_escapes_html() {
        let t = Template {
            text: "Hallo {{name}}\n\nIhr Link: {{link}}\n",
            html: "<p>Hallo {{name}}</p>",
        };
        let (subject, text, html) = t.render(&[
            ("name", "Müller & <Söhne>"),
            ("link", "https://x/y?a=1&b=2"),
        ]);
        assert_eq!(subject, "Hallo Müller & <Söhne>");
        assert_eq!(text, "Ihr Link: https://x/y?a=1&b=2\n");
        assert_eq!(html, "<p>Hallo Müller &amp; &lt;Söhne&gt;</p>");
    }
}
