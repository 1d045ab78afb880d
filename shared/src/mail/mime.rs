//! A mail with attachments as one MIME message, for SES `SendRawEmail`: multipart/mixed
//! holding the text and HTML as multipart/alternative (UTF-8), then each file (base64).

use mail_builder::MessageBuilder;

use super::{LoadedAttachment, Mail, MailError};

/// The raw message from `from` to the mail's recipient.
pub(crate) fn raw_message(
    from: &str,
    mail: &Mail,
    files: &[LoadedAttachment],
) -> Result<Vec<u8>, MailError> {
    let mut message = MessageBuilder::new()
        .from(from)
        .to(mail.to.as_str())
        .subject(mail.subject.as_str())
        .text_body(mail.text.as_str())
        .html_body(mail.html.as_str());
    for file in files {
        message = message.attachment(
            file.content_type.as_str(),
            file.filename.as_str(),
            file.bytes.as_slice(),
        );
    }
    message
        .write_to_vec()
        .map_err(|e| MailError::Send(Box::new(e)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use mail_parser::{MessageParser, MimeHeaders, PartType};

    use super::*;
    use crate::domain::Email;
    use crate::mail::Attachment;

    fn invoice_mail() -> Mail {
        Mail {
            to: Email::parse("anna@baeckerei-mueller.de").unwrap(),
            subject: "Ihre Rechnung 2026-000001 von partnernetz".into(),
            text: "Guten Tag Anna Müller,\n\nIhre Rechnung liegt als PDF im Anhang.".into(),
            html: "<p>Guten Tag Anna Müller,</p><p>Ihre Rechnung liegt als PDF im Anhang.</p>"
                .into(),
            attachments: vec![Attachment::new(
                "invoices/p1/2026-000001.pdf",
                "Rechnung-2026-000001.pdf",
                "application/pdf",
            )],
        }
    }

    /// Bytes as a PDF has them: binary, with every byte value and long runs without a newline.
    fn pdf_bytes() -> Vec<u8> {
        let mut bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
        bytes.extend((0..=255u8).cycle().take(70_000));
        bytes.extend_from_slice(b"\n%%EOF\n");
        bytes
    }

    #[test]
    fn the_pdf_travels_as_a_named_base64_part_beside_text_and_html() {
        let pdf = pdf_bytes();
        let files = [LoadedAttachment {
            filename: "Rechnung-2026-000001.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: pdf.clone(),
        }];
        let raw = raw_message("noreply@partnernetz.de", &invoice_mail(), &files).unwrap();
        // SES takes 7-bit messages; everything outside ASCII is encoded.
        assert!(raw.is_ascii());

        let message = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            message.subject(),
            Some("Ihre Rechnung 2026-000001 von partnernetz")
        );
        let to = message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address());
        assert_eq!(to, Some("anna@baeckerei-mueller.de"));
        let from = message
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address());
        assert_eq!(from, Some("noreply@partnernetz.de"));

        let root = message.root_part().content_type().unwrap();
        assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("mixed")));
        let PartType::Multipart(children) = &message.root_part().body else {
            panic!("multipart/mixed has parts");
        };
        let alternative = message.part(children[0]).unwrap();
        assert_eq!(
            alternative.content_type().and_then(|c| c.subtype()),
            Some("alternative")
        );
        // Text travels with CRLF line ends, as MIME's canonical form has them.
        assert_eq!(
            message.body_text(0).map(|t| t.replace("\r\n", "\n")),
            Some(invoice_mail().text)
        );
        assert!(message.body_html(0).unwrap().contains("Anna Müller"));

        assert_eq!(message.attachment_count(), 1);
        let attachment = message.attachment(0).unwrap();
        assert_eq!(
            attachment.attachment_name(),
            Some("Rechnung-2026-000001.pdf")
        );
        let ctype = attachment.content_type().unwrap();
        assert_eq!(
            (ctype.ctype(), ctype.subtype()),
            ("application", Some("pdf"))
        );
        assert_eq!(
            attachment
                .content_disposition()
                .map(|d| d.ctype().to_string()),
            Some("attachment".to_string())
        );
        assert_eq!(attachment.content_transfer_encoding(), Some("base64"));
        // The encoded text as it stands in the message decodes to the original bytes.
        let encoded =
            &raw[attachment.raw_body_offset() as usize..attachment.raw_end_offset() as usize];
        let joined: Vec<u8> = encoded
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let take = joined
            .iter()
            .position(|&b| b == b'-')
            .unwrap_or(joined.len());
        assert_eq!(STANDARD.decode(&joined[..take]).unwrap(), pdf);
        assert_eq!(attachment.contents(), pdf.as_slice());
    }
}
