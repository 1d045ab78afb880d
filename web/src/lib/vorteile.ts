// The end user's pages of a bank platform (/vorteile/<platform>): what a program pays, the
// wallet's words, the IBAN checked as it is typed, and where a page goes when the session is
// gone. Pure and typed, so the pages stay small.

import { formatCents, formatDate } from '$lib/format';

/** The terms of participation the sign-up accepts (the API records this version). */
export const TERMS_VERSION = '2026-12-01';

export type Reward =
	| { kind: 'fixed'; amount_cents: number }
	| { kind: 'percent'; basis_points: number }
	| { kind: 'points'; points: number }
	| { kind: 'voucher'; value_cents: number };

export interface RewardRule {
	event: string;
	reward: Reward;
}

const EVENTS: Record<string, string> = {
	signup: 'eine Anmeldung',
	purchase: 'einen Einkauf'
};

/** `10 %`, `12,5 %` */
function percent(basisPoints: number): string {
	return `${(basisPoints / 100).toLocaleString('de-DE', { maximumFractionDigits: 2 })} %`;
}

/** What the referrer earns, in one line: "Für einen Einkauf: 10 % des Einkaufswerts". */
export function rewardText(rule: RewardRule): string {
	const what = EVENTS[rule.event] ?? `„${rule.event}“`;
	const r = rule.reward;
	let earned: string;
	switch (r.kind) {
		case 'fixed':
			earned = formatCents(r.amount_cents);
			break;
		case 'percent':
			earned = `${percent(r.basis_points)} des Einkaufswerts`;
			break;
		case 'points':
			earned = `${r.points.toLocaleString('de-DE')} Punkte`;
			break;
		case 'voucher':
			earned = `ein Gutschein über ${formatCents(r.value_cents)}`;
			break;
	}
	return `Für ${what}: ${earned}`;
}

const LEDGER: Record<string, string> = {
	reward: 'Prämie',
	reversal: 'Storno',
	exchange: 'Punkte in Gutschein getauscht',
	payout: 'Auszahlung'
};

export function ledgerText(kind: string): string {
	return LEDGER[kind] ?? kind;
}

const VOUCHER: Record<string, string> = {
	issued: 'gültig',
	redeemed: 'eingelöst',
	revoked: 'storniert'
};

export function voucherText(status: string): string {
	return VOUCHER[status] ?? status;
}

/** IBAN lengths of the SEPA countries most payouts go to; others: 15 to 34 characters. */
const IBAN_LENGTH: Record<string, number> = {
	DE: 22,
	AT: 20,
	CH: 21,
	LI: 21,
	LU: 20,
	NL: 18,
	BE: 16,
	FR: 27,
	IT: 27,
	ES: 24,
	PL: 28,
	DK: 18
};

/** The IBAN without spaces, in capitals. */
export function compactIban(raw: string): string {
	return raw.replace(/\s+/g, '').toUpperCase();
}

/** ISO 7064 mod 97-10 over the IBAN (its first four characters moved to the end). */
function mod97(iban: string): number {
	const moved = iban.slice(4) + iban.slice(0, 4);
	let rest = 0;
	for (const c of moved) {
		const n = c >= 'A' && c <= 'Z' ? String(c.charCodeAt(0) - 55) : c;
		for (const d of n) {
			rest = (rest * 10 + Number(d)) % 97;
		}
	}
	return rest;
}

/**
 * What is wrong with an IBAN typed so far, in German, or nothing. `complete` is false while
 * the user is still typing: a too-short IBAN is then no error yet.
 */
export function ibanProblem(raw: string, complete: boolean): string | undefined {
	const iban = compactIban(raw);
	if (iban === '') {
		return complete ? 'Bitte geben Sie Ihre IBAN ein.' : undefined;
	}
	const country = iban.slice(0, 2);
	if (!/^[A-Z]*$/.test(country)) {
		return 'Eine IBAN beginnt mit dem Ländercode, zum Beispiel DE.';
	}
	if (iban.length > 2 && !/^[0-9]+$/.test(iban.slice(2, 4))) {
		return 'Nach dem Ländercode folgen zwei Prüfziffern.';
	}
	if (!/^[A-Z0-9]*$/.test(iban)) {
		return 'Eine IBAN enthält nur Buchstaben und Ziffern.';
	}
	const expected = IBAN_LENGTH[country];
	if (expected !== undefined && iban.length > expected) {
		return `Eine IBAN aus ${country} hat ${expected} Zeichen; Sie haben ${iban.length} eingegeben.`;
	}
	if (iban.length > 34) {
		return 'Eine IBAN hat höchstens 34 Zeichen.';
	}
	const full = expected !== undefined ? iban.length === expected : iban.length >= 15;
	if (!full) {
		if (!complete) return undefined;
		return expected !== undefined
			? `Eine IBAN aus ${country} hat ${expected} Zeichen; es fehlen noch ${expected - iban.length}.`
			: 'Die IBAN ist zu kurz.';
	}
	if (expected === undefined && !complete) {
		return undefined;
	}
	if (mod97(iban) !== 1) {
		return 'Die Prüfziffern passen nicht zu dieser IBAN. Bitte vergleichen Sie sie mit Ihrem Kontoauszug.';
	}
	return undefined;
}

/** `DE89370400440532013000` → `DE89 3704 0044 0532 0130 00`. */
export function groupIban(raw: string): string {
	return compactIban(raw).replace(/(.{4})(?=.)/g, '$1 ');
}

/** Euros as typed (`12,50`, `12`, `12.5`) in cents; undefined when it is no amount. */
export function euroToCents(raw: string): number | undefined {
	const m = /^\s*(\d{1,6})(?:[.,](\d{1,2}))?\s*(?:€)?\s*$/.exec(raw);
	if (!m) return undefined;
	const cents = Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
	return cents;
}

/** The login of the platform's end users, coming back to `path`. */
export function loginPath(platform: string, path: string): string {
	return `/vorteile/${platform}/anmelden?weiter=${encodeURIComponent(path)}`;
}

export interface ProgramTerms {
	attribution_days: number;
	hold_days: number;
	friend_share_percent?: number | null;
	voucher_rate?: { points: number; value_cents: number } | null;
}

/** A program's conditions in a sentence or three. */
export function conditionsText(p: ProgramTerms): string {
	const parts = [
		`Ein Klick zählt ${p.attribution_days} Tage; Prämien werden nach ${p.hold_days} Tagen bestätigt.`
	];
	if (p.friend_share_percent) {
		parts.push(`${p.friend_share_percent} % der Prämie gehen an Ihre Empfehlung.`);
	}
	if (p.voucher_rate) {
		parts.push(
			`${p.voucher_rate.points} Punkte ergeben einen Gutschein über ${formatCents(p.voucher_rate.value_cents)}.`
		);
	}
	return parts.join(' ');
}

/** A voucher's state with its last day while it can be taken. */
export function voucherState(v: { status: string; valid_until?: string | null }): string {
	return v.status === 'issued' && v.valid_until
		? `gültig bis ${formatDate(v.valid_until)}`
		: voucherText(v.status);
}
