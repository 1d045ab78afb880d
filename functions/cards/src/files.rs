//! Files that hold personal data (the export) or activation codes in clear (a batch's print
//! file) stay in the bucket for [`FILE_DAYS`] days: their links work that long, and a lifecycle
//! rule on each prefix in `infra/template.yaml` deletes them afterwards, old versions
//! included (a test reads the template).

use std::time::Duration;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use shared::domain::PartnerId;

/// How many days an export or a print file is kept, and its links work.
pub const FILE_DAYS: i64 = 7;
/// Where the exports lie: `cards/exports/<partner>/<export>/<file>`.
pub const EXPORTS_PREFIX: &str = "cards/exports/";
/// Where the print files lie: `cards/batches/<partner>/<batch>.csv`.
pub const PRINT_FILES_PREFIX: &str = "cards/batches/";
/// How long a presigned link to such a file works.
pub const LINK_LIFETIME: Duration = Duration::from_secs(FILE_DAYS.unsigned_abs() * 24 * 3600);

pub fn export_object(partner: &PartnerId, export_id: &str, file: &str) -> String {
    format!("{EXPORTS_PREFIX}{partner}/{export_id}/{file}")
}

pub fn print_file_object(partner: &PartnerId, batch_id: &str) -> String {
    format!("{PRINT_FILES_PREFIX}{partner}/{batch_id}.csv")
}

/// The last day (Europe/Berlin) a file written at `now` can be fetched: its links end
/// [`FILE_DAYS`] days later, and S3 deletes it at the first midnight (UTC) after that.
pub fn available_until(now: Timestamp) -> Date {
    let end = now
        .checked_add(SignedDuration::from_hours(FILE_DAYS * 24))
        .unwrap_or(now);
    shared::clock::berlin_date(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_written_today_are_there_for_seven_days() {
        let now: Timestamp = "2026-11-24T10:00:00Z".parse().unwrap_or_default();
        assert_eq!(available_until(now), jiff::civil::date(2026, 12, 1));
        // Late in the evening in Berlin is the next day already.
        let late: Timestamp = "2026-11-24T23:30:00Z".parse().unwrap_or_default();
        assert_eq!(available_until(late), jiff::civil::date(2026, 12, 2));
    }
}
