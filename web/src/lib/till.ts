// What the till books: the booking types of each kind of program (docs/cards.md), what each
// asks the cashier for, and amounts in the card's unit said in German.

import type { components } from '$lib/api/schema';
import { formatCents } from '$lib/format';

export type CardAtTill = components['schemas']['CardAtTill'];
export type BookingReply = components['schemas']['BookingReply'];
export type BookingType = components['schemas']['BookingType'];
export type BookingInput = components['schemas']['CardBookingInput'];
export type TillBooking = components['schemas']['TillBooking'];

/** What a booking type asks for: an amount in euros, a number of points, or nothing. */
export type Asks = 'euro' | 'optional-euro' | 'points' | 'nothing';

export interface BookingKind {
	type: BookingType;
	/** The choice as the cashier reads it. */
	label: string;
	asks: Asks;
	/** The label of the amount's field. */
	amountLabel: string;
}

const KINDS: Record<string, BookingKind[]> = {
	bonus: [
		{ type: 'earn', label: 'Punkte sammeln', asks: 'euro', amountLabel: 'Einkaufsbetrag in €' },
		{ type: 'redeem', label: 'Punkte einlösen', asks: 'points', amountLabel: 'Punkte' }
	],
	prepaid: [
		{ type: 'pay', label: 'Bezahlen', asks: 'euro', amountLabel: 'Betrag in €' },
		{ type: 'top_up', label: 'Aufladen', asks: 'euro', amountLabel: 'Betrag in €' }
	],
	stamp: [
		{
			type: 'add_stamp',
			label: 'Stempel geben',
			asks: 'optional-euro',
			amountLabel: 'Einkaufsbetrag in € (nur bei Stempeln nach Betrag)'
		},
		{ type: 'redeem_stamps', label: 'Prämie einlösen', asks: 'nothing', amountLabel: '' }
	],
	gift: [
		{ type: 'redeem_gift', label: 'Gutschein einlösen', asks: 'euro', amountLabel: 'Betrag in €' },
		{ type: 'load', label: 'Gutschein laden', asks: 'euro', amountLabel: 'Betrag in €' }
	]
};

/** The booking types the till offers for a card of `kind`. */
export function bookingKinds(kind: string): BookingKind[] {
	return KINDS[kind] ?? [];
}

/** `12,50` / `12.50` / `12` → 1250 cents; undefined when it is no amount in euros. */
export function euroToCents(input: string): number | undefined {
	const match = /^(\d{1,7})(?:[,.](\d{1,2}))?$/.exec(input.trim().replace(/\s*€$/, ''));
	if (!match) {
		return undefined;
	}
	const euros = Number(match[1]);
	const cents = Number((match[2] ?? '').padEnd(2, '0'));
	const total = euros * 100 + cents;
	return total > 0 ? total : undefined;
}

/** A quantity in the card's unit: `12,50 €`, `23 Punkte`, `1 Stempel`. */
export function inUnit(amount: number, unit: string): string {
	if (unit === 'Cent') {
		return formatCents(amount);
	}
	if (unit === 'Punkte') {
		return `${amount.toLocaleString('de-DE')} ${Math.abs(amount) === 1 ? 'Punkt' : 'Punkte'}`;
	}
	return `${amount.toLocaleString('de-DE')} ${unit}`;
}

/** A change in the card's unit with its sign: `+23 Punkte`, `−12,50 €`. */
export function change(amount: number, unit: string): string {
	const sign = amount > 0 ? '+' : amount < 0 ? '−' : '±';
	return `${sign}${inUnit(Math.abs(amount), unit)}`;
}

export const STATUS: Record<string, string> = {
	active: 'aktiv',
	blocked: 'gesperrt',
	replaced: 'ersetzt'
};

export const TYPE_LABEL: Partial<Record<BookingType, string>> = {
	earn: 'Punkte gesammelt',
	redeem: 'Punkte eingelöst',
	top_up: 'Aufgeladen',
	pay: 'Bezahlt',
	add_stamp: 'Stempel',
	redeem_stamps: 'Prämie eingelöst',
	load: 'Gutschein geladen',
	redeem_gift: 'Gutschein eingelöst',
	void: 'Storno'
};

/**
 * Today's list after a booking went through: the new booking first; a void also marks
 * the booking it took back (`voided`, the id the void named).
 */
export function listed(
	today: TillBooking[],
	reply: BookingReply,
	voided: string | undefined
): TillBooking[] {
	if (today.some((b) => b.booking_id === reply.booking_id)) {
		return today;
	}
	const marked =
		reply.type === 'void' && voided
			? today.map((b) =>
					b.booking_id === voided ? { ...b, voided_by: reply.booking_id, voidable: false } : b
				)
			: today;
	const entry: TillBooking = {
		booking_id: reply.booking_id,
		type: reply.type,
		amount: reply.amount,
		pending_amount: reply.pending_amount,
		value_cents: reply.value_cents,
		unit: reply.unit,
		booked_at: reply.booked_at,
		voidable: reply.type !== 'void'
	};
	return [entry, ...marked];
}
