//! A small builder over quick-xml's writer for the two XML files billing writes (XRechnung,
//! pain.008): elements nest by open/close, text and attributes are escaped by quick-xml.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

pub struct Xml {
    writer: Writer<Vec<u8>>,
    open: Vec<String>,
    error: Option<std::io::Error>,
}

impl Default for Xml {
    fn default() -> Self {
        Self::new()
    }
}

impl Xml {
    /// A UTF-8 document with its declaration, indented by two spaces.
    pub fn new() -> Self {
        let mut xml = Self {
            writer: Writer::new_with_indent(Vec::new(), b' ', 2),
            open: Vec::new(),
            error: None,
        };
        xml.event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        xml
    }

    fn event(&mut self, event: Event<'_>) {
        if self.error.is_none()
            && let Err(e) = self.writer.write_event(event)
        {
            self.error = Some(e);
        }
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.open_with(name, &[])
    }

    pub fn open_with(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        let start = BytesStart::new(name).with_attributes(attrs.iter().copied());
        self.event(Event::Start(start));
        self.open.push(name.to_string());
        self
    }

    pub fn close(&mut self) -> &mut Self {
        if let Some(name) = self.open.pop() {
            self.event(Event::End(BytesEnd::new(name)));
        }
        self
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.leaf_with(name, &[], text)
    }

    pub fn leaf_with(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        let start = BytesStart::new(name).with_attributes(attrs.iter().copied());
        self.event(Event::Start(start));
        self.event(Event::Text(BytesText::new(text)));
        self.event(Event::End(BytesEnd::new(name)));
        self
    }

    /// The document, every element closed.
    pub fn finish(mut self) -> Result<Vec<u8>, std::io::Error> {
        while !self.open.is_empty() {
            self.close();
        }
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.writer.into_inner()),
        }
    }
}

/// Euro cents as a decimal amount with two places (`1234.50`).
pub fn amount(cents: shared::domain::Cents) -> String {
    let sign = if cents.0 < 0 { "-" } else { "" };
    let abs = cents.0.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::Cents;

    #[test]
    fn escapes_text_and_closes_everything() {
        let mut x = Xml::new();
        x.open_with("a", &[("k", "\"v\"")])
            .leaf("b", "Müller & <Söhne>");
        let out = String::from_utf8(x.finish().unwrap()).unwrap();
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(out.contains("<b>Müller &amp; &lt;Söhne&gt;</b>"), "{out}");
        assert!(out.contains("k=\"&quot;v&quot;\""), "{out}");
        assert!(out.trim_end().ends_with("</a>"));
        assert_eq!(amount(Cents(20528)), "205.28");
        assert_eq!(amount(Cents(5)), "0.05");
        assert_eq!(amount(Cents(-150)), "-1.50");
    }
}
