// Premium placements as the partner books them: the rule on cancelling, said before
// anything is booked; each kind's price and free slots per month; what a booking costs and
// until when it can be cancelled; the state of each booking. The months are the API's (its
// `this_month`), never the browser's clock.

import type { components } from '../api/schema';
import { formatCents, formatDate, formatMonth } from '../format';

type Schemas = components['schemas'];
export type PlacementSlots = Schemas['PlacementSlots'];
export type KindSlots = Schemas['KindSlots'];
export type Booking = Schemas['PlacementBooking'];

/** The rule, said at the top of the page and again before a booking is confirmed. */
export const RULES: readonly string[] = [
	'Eine Platzierung stellt Ihr Angebot einen Kalendermonat lang an den Anfang des Feeds einer Plattform, als „Top-Angebot“ markiert.',
	'Sie buchen den laufenden Monat oder bis zu sechs Monate im Voraus. Berechnet wird der Preis des Monats zzgl. USt. mit Ihrer Monatsrechnung.',
	'Stornieren können Sie kostenlos bis zum letzten Tag vor dem gebuchten Monat. Ab dem 1. des Monats ist die Buchung verbindlich und wird berechnet; eine Buchung für den laufenden Monat ist sofort verbindlich.',
	'Ziehen Sie das Angebot zurück, werden seine Buchungen späterer Monate storniert; die des laufenden Monats bleibt berechnet.'
];

/** The last day a booking of `month` (`2027-01`) can be cancelled: the day before it starts. */
export function lastDayToCancel(month: string): string {
	const [y, m] = month.split('-').map(Number) as [number, number];
	return new Date(Date.UTC(y, m - 1, 0)).toISOString().slice(0, 10);
}

/** A booked month after the current one can still be cancelled. */
export function cancellable(b: Booking, thisMonth: string): boolean {
	return b.state === 'booked' && b.month > thisMonth;
}

/** `2 von 3 Plätzen frei`, `ausgebucht`. */
export function slotsText(free: number, slots: number): string {
	if (free <= 0) return 'ausgebucht';
	return `${free} von ${slots} ${slots === 1 ? 'Platz' : 'Plätzen'} frei`;
}

/** The kind's price: `49,00 € im Monat zzgl. USt.`. */
export function priceText(k: { price_cents: number }): string {
	return `${formatCents(k.price_cents)} im Monat zzgl. USt.`;
}

/** What booking `kind` for `month` means, said before it is confirmed. */
export function bookingSummary(kind: KindSlots, month: string, thisMonth: string, platform: string): string {
	const what = `„${kind.name}“ auf ${platform} im ${formatMonth(month)}: ${formatCents(kind.price_cents)} zzgl. USt.`;
	if (month <= thisMonth) {
		return `${what} Eine Buchung für den laufenden Monat ist sofort verbindlich und kann nicht storniert werden.`;
	}
	return `${what} Stornieren können Sie kostenlos bis einschließlich ${formatDate(lastDayToCancel(month))}.`;
}

/** A booking's state in words. */
export function bookingState(b: Booking, thisMonth: string): string {
	if (b.state === 'cancelled') {
		return `Storniert${b.cancelled_at ? ` am ${formatDate(b.cancelled_at)}` : ''}; wird nicht berechnet.`;
	}
	if (b.month <= thisMonth) {
		return 'Gebucht; läuft in diesem Monat und wird berechnet.';
	}
	return `Gebucht; kostenlos stornierbar bis einschließlich ${formatDate(lastDayToCancel(b.month))}.`;
}

/** What cancelling says before it is confirmed. */
export function cancelText(b: Booking): string {
	return `Wenn Sie jetzt stornieren, wird „${b.kind_name}“ im ${formatMonth(b.month)} nicht berechnet (${formatCents(b.price_cents)} zzgl. USt.) und der Platz wird für andere frei.`;
}
