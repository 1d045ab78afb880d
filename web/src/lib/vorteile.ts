// The end user's pages of a bank platform (/vorteile/<platform>): what a program pays, the
// wallet's words, and where a page goes when the session is gone (the IBAN check is in
// `$lib/iban`). Pure and typed, so the pages stay small.

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
