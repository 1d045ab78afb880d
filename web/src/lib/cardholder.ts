// The cardholder's pages (`/karte/<merchant>/…`): the card as its holder sees it, in German,
// and the own data as the forms edit it. Pure and typed; the pages only call the API.

import { signedIn } from '$lib/api/client';
import type { components } from '$lib/api/schema';
import { session } from '$lib/session.svelte';
import { formatCents, formatDate } from '$lib/format';
import { change, inUnit, STATUS, TYPE_LABEL } from '$lib/till';

export type MyCard = components['schemas']['MyCard'];
export type HistoryEntry = components['schemas']['HistoryEntry'];
export type PersonalData = components['schemas']['PersonalData'];
export type Gender = components['schemas']['Gender'];
export type OwnDataChange = components['schemas']['OwnDataChange'];
export type OwnData = components['schemas']['OwnData'];

/** The card page and its sub-pages of a merchant. */
export function cardPath(merchant: string, sub = ''): string {
	return `/karte/${merchant}${sub ? `/${sub}` : ''}`;
}

/** The login, coming back to `back` afterwards. */
export function loginPath(merchant: string, back: string): string {
	return `${cardPath(merchant, 'anmelden')}?weiter=${encodeURIComponent(back)}`;
}

/** Whether this browser holds a session of a cardholder of this merchant (refreshed silently
 *  from the 30-day cookie after a reload). */
export async function holderSignedIn(merchant: string): Promise<boolean> {
	return (await signedIn()) && session.scope === 'cardholder' && session.tenant === merchant;
}

export const GENDERS: { value: Gender | ''; label: string }[] = [
	{ value: '', label: 'keine Angabe' },
	{ value: 'female', label: 'weiblich' },
	{ value: 'male', label: 'männlich' },
	{ value: 'diverse', label: 'divers' }
];

/** The card's status in German. */
export function statusText(status: string): string {
	return STATUS[status] ?? status;
}

/** One line of the history as the holder reads it. */
export interface HistoryLine {
	id: string;
	date: string;
	what: string;
	/** The purchase or payment in euros, when the booking has one (`23,50 €`). */
	value: string;
	/** The change of the balance in the card's unit (`+23 Punkte`, `−12,50 €`). */
	change: string;
	/** Points that are not redeemable yet. */
	pending: string;
	voided: boolean;
}

export function historyLine(entry: HistoryEntry, unit: string): HistoryLine {
	return {
		id: entry.booking_id,
		date: formatDate(entry.booked_at),
		what: TYPE_LABEL[entry.type] ?? entry.text,
		value: unit !== 'Cent' && entry.value_cents !== 0 ? formatCents(Math.abs(entry.value_cents)) : '',
		change: entry.amount !== 0 ? change(entry.amount, unit) : '',
		pending:
			entry.pending_amount !== 0
				? `${change(entry.pending_amount, unit)} vorgemerkt`
				: '',
		voided: entry.voided
	};
}

/** `23 Punkte verfallen am 24.11.2028`. */
export function expiringText(points: number, expiresOn: string, unit: string): string {
	return `${inUnit(points, unit)} ${points === 1 ? 'verfällt' : 'verfallen'} am ${formatDate(expiresOn)}`;
}

/** The own data as the form holds it: texts, as typed. */
export interface DataForm {
	first_name: string;
	last_name: string;
	email: string;
	gender: Gender | '';
	birth_year: string;
	postal_code: string;
	statistics_consent: boolean;
}

export function formOf(data: PersonalData, statisticsConsent: boolean): DataForm {
	return {
		first_name: data.first_name,
		last_name: data.last_name,
		email: data.email,
		gender: data.gender ?? '',
		birth_year: data.birth_year == null ? '' : String(data.birth_year),
		postal_code: data.postal_code ?? '',
		statistics_consent: statisticsConsent
	};
}

/** A birth year as typed: null when blank, -1 when it is no year (the API names the field). */
export function yearOf(input: string): number | null {
	const trimmed = input.trim();
	if (trimmed === '') {
		return null;
	}
	return /^\d{1,4}$/.test(trimmed) ? Number(trimmed) : -1;
}

/** The change the form asks for: every field, an empty optional one removed. */
export function changeOf(form: DataForm): OwnDataChange {
	return {
		first_name: form.first_name,
		last_name: form.last_name,
		email: form.email.trim(),
		gender: form.gender === '' ? null : form.gender,
		birth_year: yearOf(form.birth_year),
		postal_code: form.postal_code.trim() === '' ? null : form.postal_code.trim(),
		statistics_consent: form.statistics_consent
	};
}
