//! Invoice lines and the invoice totals.
//!
//! Rounding, stated once: a line's net amount is whole cents, a prorated amount rounded half
//! up (away from zero) when it is computed; the VAT of 19 % is computed once per invoice on
//! the sum of the line nets and rounded half up; gross = net + VAT. So the totals are exact
//! sums of what the invoice shows, and no line carries its own VAT rounding.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::domain::Cents;
use utoipa::ToSchema;

/// The one VAT rate of the platform's services (standard rate, §12 (1) UStG).
pub const VAT_PERCENT: i64 = 19;

/// What a line charges for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    PlatformSubscription,
    PremiumPlacement,
    CardContract,
    DigitalCustomerAccount,
    /// Referral rewards the platform paid out on the partner's behalf, as a service of the
    /// platform (docs/billing.md, Referral rewards).
    ReferralRewards,
}

/// The unit of a line's quantity (UN/ECE Rec. 20 codes in the XRechnung).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A month of service (or a prorated part of one, priced as one unit).
    Month,
    /// One piece: a placement, a terminal user for the month.
    Piece,
    /// A year of service.
    Year,
    /// A sum that is not a quantity times a price: the month's referral rewards.
    Lump,
}

impl Unit {
    pub fn german(self) -> &'static str {
        match self {
            Unit::Month => "Monat",
            Unit::Piece => "Stück",
            Unit::Year => "Jahr",
            Unit::Lump => "Pauschale",
        }
    }

    /// UN/ECE Recommendation 20 unit code.
    pub fn code(self) -> &'static str {
        match self {
            Unit::Month => "MON",
            Unit::Piece => "H87",
            Unit::Year => "ANN",
            Unit::Lump => "LS",
        }
    }
}

/// One line of an invoice: what, for which period, how many at which price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceLine {
    pub product: Product,
    /// The kind of service, in German, as printed.
    pub description: String,
    /// First and last day of service this line covers.
    pub period_from: Date,
    pub period_to: Date,
    pub quantity: i64,
    pub unit: Unit,
    #[schema(value_type = i64)]
    pub unit_price_cents: Cents,
    /// quantity × unit price, exactly.
    #[schema(value_type = i64)]
    pub net_cents: Cents,
}

impl InvoiceLine {
    pub fn new(
        product: Product,
        description: String,
        (period_from, period_to): (Date, Date),
        quantity: i64,
        unit: Unit,
        unit_price: Cents,
    ) -> Self {
        Self {
            product,
            description,
            period_from,
            period_to,
            quantity,
            unit,
            unit_price_cents: unit_price,
            net_cents: Cents(quantity * unit_price.0),
        }
    }
}

/// `amount × numerator / denominator` in whole cents, rounded half away from zero.
pub fn prorate(amount: Cents, numerator: i64, denominator: i64) -> Cents {
    if denominator == 0 {
        return Cents(0);
    }
    let product = i128::from(amount.0) * i128::from(numerator);
    let d = i128::from(denominator);
    let half = d / 2;
    let rounded = if product >= 0 {
        (product + half) / d
    } else {
        (product - half) / d
    };
    Cents(i64::try_from(rounded).unwrap_or(i64::MAX))
}

/// The totals of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    #[schema(value_type = i64)]
    pub net_cents: Cents,
    pub vat_percent: i64,
    #[schema(value_type = i64)]
    pub vat_cents: Cents,
    #[schema(value_type = i64)]
    pub gross_cents: Cents,
}

impl Totals {
    pub fn of(lines: &[InvoiceLine]) -> Self {
        let net = Cents(lines.iter().map(|l| l.net_cents.0).sum());
        let vat = prorate(net, VAT_PERCENT, 100);
        Self {
            net_cents: net,
            vat_percent: VAT_PERCENT,
            vat_cents: vat,
            gross_cents: Cents(net.0 + vat.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn line(net: i64) -> InvoiceLine {
        InvoiceLine::new(
            Product::PremiumPlacement,
            "Test".into(),
            (date(2026, 12, 1), date(2026, 12, 31)),
            1,
            Unit::Piece,
            Cents(net),
        )
    }

    #[test]
    fn proration_rounds_half_up() {
        assert_eq!(prorate(Cents(4900), 15, 30), Cents(2450));
        // 49.00 × 1/31 = 1.5806… → 1.58
        assert_eq!(prorate(Cents(4900), 1, 31), Cents(158));
        // 0.05 × 1/2 = 0.025 → 0.03 (half up)
        assert_eq!(prorate(Cents(5), 1, 2), Cents(3));
        assert_eq!(prorate(Cents(-5), 1, 2), Cents(-3));
        assert_eq!(prorate(Cents(4900), 30, 30), Cents(4900));
    }

    #[test]
    fn vat_is_computed_once_on_the_invoice_net() {
        // 3 × 0.33 net: per line 0.0627 → 0.06 would give 0.18; on the sum 0.99 × 19 % =
        // 0.1881 → 0.19.
        let lines = vec![line(33), line(33), line(33)];
        let t = Totals::of(&lines);
        assert_eq!(t.net_cents, Cents(99));
        assert_eq!(t.vat_cents, Cents(19));
        assert_eq!(t.gross_cents, Cents(118));
    }

    #[test]
    fn vat_over_many_lines_is_exact() {
        // 1000 lines of 0.01 … 10.00: net 5005.00, VAT 950.95, gross 5955.95.
        let lines: Vec<_> = (1..=1000).map(line).collect();
        let t = Totals::of(&lines);
        assert_eq!(t.net_cents, Cents(500_500));
        assert_eq!(t.vat_cents, Cents(95_095));
        assert_eq!(t.gross_cents, Cents(595_595));
        // A half cent rounds up: 0.50 net × 19 % = 0.095 → 0.10.
        assert_eq!(Totals::of(&[line(50)]).vat_cents, Cents(10));
        // Just below half rounds down: 0.02 × 19 % = 0.0038 → 0.00.
        assert_eq!(Totals::of(&[line(2)]).vat_cents, Cents(0));
    }

    #[test]
    fn a_line_is_quantity_times_unit_price() {
        let l = InvoiceLine::new(
            Product::CardContract,
            "Terminalbenutzer".into(),
            (date(2026, 12, 1), date(2026, 12, 31)),
            3,
            Unit::Piece,
            Cents(990),
        );
        assert_eq!(l.net_cents, Cents(2970));
    }
}
