//! Placement bookings of an offer: in which months it can be booked (only those it can be shown
//! in), the writes that cancel a booking before its month starts, and the bookings still to
//! come. The booking record itself is `shared::model::placements`, which billing reads.

use jiff::Timestamp;
use jiff::civil::Date;
use shared::domain::Month;
use shared::domain::PartnerId;
use shared::model::from_item;
use shared::model::placements::{BookingState, PlacementBooking, attr, bookings_from, slots_key};
use shared::model::subscriptions::{Application, ApplicationStatus};
use shared::store::{Cond, Named, Table, TxOp, Update};
use shared::{FieldError, Result};

use crate::coupon::german_date;
use crate::offer::{Content, step};
use crate::subscription;

/// Whether the offer can be shown on a platform in `month` at all, seen on `today`: some day of
/// the month from today on lies inside the version's validity and within the partner's
/// subscription there. Otherwise the request's field at fault and why, in German.
pub fn showable_in(
    month: Month,
    today: Date,
    content: &Content,
    subscription: Option<&Application>,
) -> std::result::Result<(), FieldError> {
    let first = month.first().max(today);
    let last = month.last();
    if content.valid_to < first || content.valid_from > last {
        return Err(FieldError::new(
            "month",
            format!(
                "Das Angebot ist im Monat {month} nicht gültig (gültig vom {} bis {}).",
                german_date(content.valid_from),
                german_date(content.valid_to)
            ),
        ));
    }
    let Some(app) = subscription.filter(|app| {
        matches!(
            app.status,
            ApplicationStatus::Approved | ApplicationStatus::Cancelled
        )
    }) else {
        return Err(FieldError::new(
            "platform_id",
            "Auf dieser Plattform sind Sie nicht als Partner freigeschaltet.",
        ));
    };
    if app.suspension.is_some() {
        return Err(FieldError::new(
            "platform_id",
            "Ihre Teilnahme an dieser Plattform ist gesperrt.",
        ));
    }
    if !subscription::runs(app, first) {
        let reason = match app.ends_on {
            Some(end) => format!(
                "Ihre Teilnahme an dieser Plattform endet am {}; im Monat {month} wird das \
                 Angebot dort nicht mehr gezeigt.",
                german_date(end)
            ),
            None => "Ihre Teilnahme an dieser Plattform ist beendet.".to_string(),
        };
        return Err(FieldError::new("month", reason));
    }
    Ok(())
}

/// The booking as cancelled at `now`, and the writes that cancel it: the slot given back and
/// the booking marked, each only if still booked (a retry changes nothing).
pub fn cancel(
    booking: &PlacementBooking,
    now: Timestamp,
) -> Result<(PlacementBooking, Vec<Named>)> {
    let mut cancelled = booking.clone();
    cancelled.state = BookingState::Cancelled;
    cancelled.cancelled_at = Some(now);
    let ops = vec![
        TxOp::Update {
            key: slots_key(&booking.platform_id, &booking.kind_id, booking.month),
            ops: vec![Update::Add(attr::TAKEN, -1)],
            cond: Cond::Ge(attr::TAKEN, 1),
        }
        .named(step::SLOT),
        TxOp::Put {
            item: cancelled.to_item()?,
            cond: Cond::Eq(attr::STATE, BookingState::Booked.as_str().into()),
        }
        .named(step::BOOKING),
    ];
    Ok((cancelled, ops))
}

/// The offer's bookings still booked for months after `current`: those that may still be
/// cancelled.
pub async fn still_to_come(
    table: &dyn Table,
    partner: &PartnerId,
    offer_id: &str,
    current: Month,
) -> Result<Vec<PlacementBooking>> {
    let items = table
        .query_all(bookings_from(partner, current.next()))
        .await?;
    let mut bookings = Vec::new();
    for item in items {
        let booking: PlacementBooking = from_item(item)?;
        if booking.offer_id == offer_id && booking.state == BookingState::Booked {
            bookings.push(booking);
        }
    }
    Ok(bookings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offer::{Benefit, BenefitKind};
    use jiff::civil::date;
    use shared::domain::{Email, PlatformId};

    fn content(from: Date, to: Date) -> Content {
        Content {
            title: "Torten".into(),
            teaser: "".into(),
            description: "".into(),
            benefit: Benefit {
                kind: BenefitKind::Percent,
                value: Some(10),
                text: None,
            },
            online: None,
            in_store: None,
            valid_from: from,
            valid_to: to,
            categories: Vec::new(),
            images: Vec::new(),
        }
    }

    fn app(status: ApplicationStatus, ends_on: Option<Date>) -> Application {
        Application {
            partner_id: PartnerId::generate(),
            platform_id: PlatformId::generate(),
            platform_name: "Sparkasse".into(),
            company: "Bäckerei".into(),
            contact_email: Email::parse("anna@baeckerei.de").unwrap(),
            status,
            applied_at: Timestamp::UNIX_EPOCH,
            decided_at: None,
            approved_on: Some(date(2026, 1, 1)),
            rejection_reason: None,
            cancelled_at: None,
            ends_on,
            suspension: None,
            partner_disabled_at: None,
        }
    }

    #[test]
    fn a_month_is_bookable_while_the_offer_can_be_shown_in_it() {
        let today = date(2026, 12, 10);
        let december: Month = "2026-12".parse().unwrap();
        let january = december.next();
        let approved = app(ApplicationStatus::Approved, None);
        let valid = content(date(2026, 12, 1), date(2027, 1, 1));
        assert_eq!(showable_in(january, today, &valid, Some(&approved)), Ok(()));
        let field = |r: std::result::Result<(), FieldError>| r.unwrap_err().field;
        // Expired before the rest of this month, or starting after the month ends.
        let gone = content(date(2026, 11, 1), date(2026, 12, 9));
        assert_eq!(
            field(showable_in(december, today, &gone, Some(&approved))),
            "month"
        );
        let later = content(date(2027, 2, 1), date(2027, 3, 1));
        assert_eq!(
            field(showable_in(january, today, &later, Some(&approved))),
            "month"
        );
        // The subscription ends on 31 December: January is refused, December is not.
        let ending = app(ApplicationStatus::Cancelled, Some(date(2026, 12, 31)));
        assert_eq!(showable_in(december, today, &valid, Some(&ending)), Ok(()));
        assert_eq!(
            field(showable_in(january, today, &valid, Some(&ending))),
            "month"
        );
        let rejected = app(ApplicationStatus::Rejected, None);
        assert_eq!(
            field(showable_in(january, today, &valid, Some(&rejected))),
            "platform_id"
        );
        assert_eq!(
            field(showable_in(january, today, &valid, None)),
            "platform_id"
        );
    }
}
