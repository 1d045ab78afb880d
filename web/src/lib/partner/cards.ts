// Customer cards as the merchant runs them: the contract's terms said before signing and
// its end before cancelling; the four kinds of program with their rules in plain German and
// the form that creates one; the terminal users' states; the statistics' periods, turnover
// series and groups; the sheet of barcodes a batch is printed with. Every date is the API's
// (its `signed_on`, `term_end`, periods), never the browser's clock.

import type { components } from '../api/schema';
import { formatCents, formatDate, formatMonth } from '../format';
import { eurosToCents } from './offers';

type Schemas = components['schemas'];
export type CardContract = Schemas['ContractView'];
export type ContractTerms = Schemas['ContractTerms'];
export type CardProgram = Schemas['CardProgram'];
export type Rules = Schemas['Rules'];
export type Kind = Rules['kind'];
export type TerminalUser = Schemas['TerminalUser'];
export type CardStatistics = Schemas['CardStatistics'];
export type PeriodFigures = Schemas['PeriodFigures'];
export type Group = Schemas['Group'];
export type Period = 'day' | 'week' | 'month';

/** What signing means, said before "Kartenvertrag abschließen". */
export function termsLines(t: ContractTerms): string[] {
	return [
		`Gebühr: ${formatCents(t.fee_per_terminal_user_cents)} je Kassenzugang und Monat zzgl. USt., berechnet mit Ihrer Monatsrechnung. Ohne Kassenzugang zahlen Sie nichts.`,
		`Laufzeit: ab heute (${formatDate(t.signed_on)}) zwei Jahre, also bis ${formatDate(t.term_end)}; danach verlängert sich der Vertrag um jeweils ein Jahr.`,
		`Kündigung: spätestens drei Monate vor dem Ende der Laufzeit, für die erste Laufzeit also bis ${formatDate(t.last_day_to_cancel)}.`
	];
}

/** The contract as it runs. */
export function contractState(c: CardContract): string[] {
	const users = c.terminal_users === 1 ? '1 Kassenzugang' : `${c.terminal_users} Kassenzugänge`;
	const lines = [
		`Abgeschlossen am ${formatDate(c.signed_on)}. ${users} zu je ${formatCents(c.fee_per_terminal_user_cents)} im Monat zzgl. USt.: ${formatCents(c.monthly_fee_cents)} in diesem Monat.`
	];
	if (c.ends_on) {
		lines.push(
			`Gekündigt${c.cancelled_on ? ` am ${formatDate(c.cancelled_on)}` : ''}; der Vertrag endet am ${formatDate(c.ends_on)}. Danach können Karten und Kassen nicht mehr verwendet werden; Ihre Exporte bleiben möglich.`
		);
	} else {
		lines.push(
			`Die laufende Laufzeit endet am ${formatDate(c.term_end)}; kündbar bis ${formatDate(c.last_day_to_cancel)}, sonst verlängert er sich um ein Jahr.`
		);
	}
	return lines;
}

/** What cancelling today does, said before it is confirmed. */
export function cancelText(c: CardContract): string {
	const end = c.ends_if_cancelled_today ?? c.term_end;
	const inTime = end === c.term_end;
	return `Wenn Sie heute kündigen, endet der Vertrag am ${formatDate(end)}${inTime ? '' : ' (die Kündigungsfrist der laufenden Laufzeit ist vorbei, darum mit der nächsten)'}. Bis dahin laufen Karten und Kassen weiter und die Kassenzugänge werden berechnet.`;
}

export const KINDS: readonly { kind: Kind; label: string; about: string }[] = [
	{ kind: 'bonus', label: 'Bonuspunkte', about: 'Kunden sammeln beim Einkauf Punkte und lösen sie später als Rabatt ein.' },
	{ kind: 'prepaid', label: 'Guthabenkarte', about: 'Kunden laden Geld auf die Karte und bezahlen damit bei Ihnen.' },
	{ kind: 'stamp', label: 'Stempelkarte', about: 'Je Einkauf ein Stempel; volle Karte gegen eine Prämie.' },
	{ kind: 'gift', label: 'Geschenkgutschein', about: 'Ein Gutschein mit festem Wert, den man verschenken und bei Ihnen einlösen kann.' }
];

export function kindLabel(kind: string): string {
	return KINDS.find((k) => k.kind === kind)?.label ?? kind;
}

const points = (n: number) => (n === 1 ? '1 Punkt' : `${n.toLocaleString('de-DE')} Punkte`);
const stamps = (n: number) => (n === 1 ? '1 Stempel' : `${n.toLocaleString('de-DE')} Stempel`);

/** A program's rules in plain German, a sentence each. */
export function rulesText(r: Rules): string[] {
	switch (r.kind) {
		case 'bonus': {
			const lines = [
				`Je volle 1,00 € Einkauf gibt es ${points(r.points_per_euro)}.`,
				`Beim Einlösen ist ein Punkt ${formatCents(r.point_value_cents)} wert: 100 Punkte sind ${formatCents(100 * r.point_value_cents)} Rabatt.`
			];
			lines.push(
				r.pending_days
					? `Neue Punkte können erst nach ${r.pending_days === 1 ? '1 Tag' : `${r.pending_days} Tagen`} eingelöst werden.`
					: 'Neue Punkte können sofort eingelöst werden.'
			);
			lines.push(
				r.expiry_months
					? `Punkte verfallen ${r.expiry_months === 1 ? 'einen Monat' : `${r.expiry_months} Monate`} nach dem Einkauf, die ältesten zuerst.`
					: 'Punkte verfallen nicht.'
			);
			return lines;
		}
		case 'prepaid':
			return [
				'Kunden laden an der Kasse Geld auf die Karte und bezahlen damit bei Ihnen.',
				`Auf der Karte dürfen höchstens ${formatCents(r.max_balance_cents)} stehen.`,
				'Als Umsatz zählt das Bezahlen, nicht das Aufladen.'
			];
		case 'stamp':
			return [
				r.cents_per_stamp
					? `Je volle ${formatCents(r.cents_per_stamp)} Einkaufsbetrag gibt es einen Stempel.`
					: 'Je Besuch mit Einkauf gibt es einen Stempel.',
				`Für ${stamps(r.stamps_for_reward)} gibt es: ${r.reward}.`
			];
		case 'gift': {
			const choices = r.choices_cents ?? [];
			return [
				'Der Gutschein wird beim Verkauf an der Kasse einmal mit seinem Wert geladen und dann beim Einkauf eingelöst, auch in Teilen.',
				choices.length > 0
					? `Verkauft werden die Werte ${choices.map(formatCents).join(', ')}.`
					: `Verkauft wird jeder Wert bis ${formatCents(r.max_cents)}.`,
				'Er gilt bis zum Ende des dritten Jahres nach dem Kauf.',
				'Als Umsatz zählt das Einlösen, nicht das Laden.'
			];
		}
	}
}

/** The program form as typed: every field text, the kind chosen. */
export interface ProgramForm {
	name: string;
	kind: Kind;
	pointsPerEuro: string;
	pointValue: string;
	expiryMonths: string;
	pendingDays: string;
	maxBalance: string;
	stampsForReward: string;
	reward: string;
	centsPerStamp: string;
	maxGift: string;
	giftChoices: string;
}

export function emptyProgramForm(): ProgramForm {
	return {
		name: '',
		kind: 'bonus',
		pointsPerEuro: '1',
		pointValue: '0,01',
		expiryMonths: '24',
		pendingDays: '',
		maxBalance: '250,00',
		stampsForReward: '10',
		reward: '',
		centsPerStamp: '',
		maxGift: '100,00',
		giftChoices: '10,00; 25,00; 50,00'
	};
}

/** The API's field of each form field: errors of the API stand at the form's field. */
export const PROGRAM_FIELDS: Record<string, keyof ProgramForm> = {
	name: 'name',
	'rules.points_per_euro': 'pointsPerEuro',
	'rules.point_value_cents': 'pointValue',
	'rules.expiry_months': 'expiryMonths',
	'rules.pending_days': 'pendingDays',
	'rules.max_balance_cents': 'maxBalance',
	'rules.stamps_for_reward': 'stampsForReward',
	'rules.reward': 'reward',
	'rules.cents_per_stamp': 'centsPerStamp',
	'rules.max_cents': 'maxGift',
	'rules.choices_cents': 'giftChoices'
};

/** The API's field errors keyed by the form's fields. */
export function programErrors(fields: Record<string, string>): Partial<Record<keyof ProgramForm, string>> {
	const out: Partial<Record<keyof ProgramForm, string>> = {};
	for (const [field, message] of Object.entries(fields)) {
		const mine = PROGRAM_FIELDS[field];
		if (mine) out[mine] = `${message.charAt(0).toUpperCase()}${message.slice(1)}.`.replace(/\.\.$/, '.');
	}
	return out;
}

type Errors = Partial<Record<keyof ProgramForm, string>>;

function whole(raw: string, field: keyof ProgramForm, errors: Errors, optional = false): number | undefined {
	const text = raw.trim();
	if (text === '' && optional) return undefined;
	if (!/^\d{1,6}$/.test(text)) {
		errors[field] = 'Bitte geben Sie eine ganze Zahl an.';
		return undefined;
	}
	return Number(text);
}

function euros(raw: string, field: keyof ProgramForm, errors: Errors, optional = false): number | undefined {
	if (raw.trim() === '' && optional) return undefined;
	const cents = eurosToCents(raw);
	if (cents === undefined) errors[field] = 'Bitte geben Sie einen Betrag in Euro an, z. B. 2,50.';
	return cents;
}

/** The program the form describes, or the errors at its fields (before anything is sent). */
export function programOf(f: ProgramForm): { name: string; rules: Rules } | { errors: Errors } {
	const errors: Errors = {};
	const name = f.name.trim();
	if (!name) errors.name = 'Bitte geben Sie dem Programm einen Namen.';
	let rules: Rules | undefined;
	switch (f.kind) {
		case 'bonus': {
			const points_per_euro = whole(f.pointsPerEuro, 'pointsPerEuro', errors);
			const point_value_cents = euros(f.pointValue, 'pointValue', errors);
			const expiry_months = whole(f.expiryMonths, 'expiryMonths', errors, true);
			const pending_days = whole(f.pendingDays, 'pendingDays', errors, true);
			if (points_per_euro !== undefined && point_value_cents !== undefined) {
				rules = { kind: 'bonus', points_per_euro, point_value_cents, expiry_months, pending_days };
			}
			break;
		}
		case 'prepaid': {
			const max_balance_cents = euros(f.maxBalance, 'maxBalance', errors);
			if (max_balance_cents !== undefined) rules = { kind: 'prepaid', max_balance_cents };
			break;
		}
		case 'stamp': {
			const stamps_for_reward = whole(f.stampsForReward, 'stampsForReward', errors);
			const cents_per_stamp = euros(f.centsPerStamp, 'centsPerStamp', errors, true);
			const reward = f.reward.trim();
			if (!reward) errors.reward = 'Bitte nennen Sie die Prämie für eine volle Karte.';
			if (stamps_for_reward !== undefined) rules = { kind: 'stamp', stamps_for_reward, reward, cents_per_stamp };
			break;
		}
		case 'gift': {
			const max_cents = euros(f.maxGift, 'maxGift', errors);
			const parts = f.giftChoices.split(/[;\n]/).map((s) => s.trim()).filter(Boolean);
			const choices = parts.map(eurosToCents);
			if (choices.some((c) => c === undefined)) {
				errors.giftChoices = 'Bitte trennen Sie die Beträge mit Semikolon, z. B. 10,00; 25,00.';
			}
			if (max_cents !== undefined) {
				rules = { kind: 'gift', max_cents, choices_cents: choices.filter((c): c is number => c !== undefined) };
			}
			break;
		}
	}
	if (Object.keys(errors).length > 0 || !rules) return { errors };
	return { name, rules };
}

/** A terminal user's state in words. */
export function terminalState(u: TerminalUser): string {
	if (!u.active) return `Gesperrt${u.disabled_on ? ` seit ${formatDate(u.disabled_on)}` : ''}; kann sich nicht mehr an der Kasse anmelden.`;
	return `Aktiv seit ${formatDate(u.created_on)}.`;
}

/** A period of the statistics: `06.12.2026`, `KW 49/2026`, `Dezember 2026`. */
export function periodLabel(period: string): string {
	const week = /^(\d{4})-W(\d{2})$/.exec(period);
	if (week) return `KW ${Number(week[2])}/${week[1]}`;
	if (/^\d{4}-\d{2}$/.test(period)) return formatMonth(period);
	return formatDate(period);
}

export const PERIODS: readonly { period: Period; label: string }[] = [
	{ period: 'day', label: 'Tag' },
	{ period: 'week', label: 'Woche' },
	{ period: 'month', label: 'Monat' }
];

/** One bar of a chart: its label, its value and how the value reads. */
export interface Bar {
	label: string;
	value: number;
	text: string;
}

/** Turnover per period as bars (at most the last `span` periods). */
export function turnoverBars(periods: PeriodFigures[], span = 31): Bar[] {
	return periods.slice(-span).map((p) => ({
		label: periodLabel(p.period),
		value: p.turnover_cents,
		text: formatCents(p.turnover_cents)
	}));
}

/** A breakdown's groups as bars: a hidden group has no bar, only its word. */
export function groupBars(groups: Group[]): Bar[] {
	return groups.map((g) => {
		const n = /^\d+$/.test(g.cardholders) ? Number(g.cardholders) : undefined;
		return {
			label: g.group,
			value: n ?? 0,
			text: n === undefined ? 'verborgen (zu wenige)' : n === 1 ? '1 Person' : `${n} Personen`
		};
	});
}

/** The balance of a kind in its unit: `23 Punkte`, `12,50 €`, `3 Stempel`. */
export function amountIn(unit: string, value: number): string {
	if (unit === '€' || unit === 'EUR') return formatCents(value);
	return `${value.toLocaleString('de-DE')} ${unit}`;
}

/** `9276123412341234` → `9276 1234 1234 1234`, as printed on the card. */
export function blocks(number: string): string {
	return number.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** The path of a merchant's till, which its terminal users open. */
export function tillPath(merchant: string): string {
	return `/kasse/${merchant}`;
}

const escapeXml = (s: string) =>
	s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A sheet of barcodes (A4, 3 × 8 labels of 70 × 36 mm) from the API's SVG per card: each
 *  barcode scaled into its label with the number in blocks below, ready to print. */
export function barcodeSheet(cards: { number: string; svg: string }[], title: string): string {
	const cols = 3;
	const w = 70;
	const h = 36;
	const rows = 8;
	const labels = cards.map((c, i) => {
		const x = (i % cols) * w;
		const row = Math.floor(i / cols);
		const y = Math.floor(row / rows) * 297 + 4.5 + (row % rows) * h;
		const inner = /<svg[^>]*viewBox="([^"]+)"[^>]*>([\s\S]*)<\/svg>\s*$/.exec(c.svg.trim());
		const viewBox = inner?.[1] ?? '0 0 100 80';
		const body = inner?.[2] ?? '';
		return (
			`<g><svg x="${x + 5}" y="${y + 4}" width="${w - 10}" height="22" viewBox="${escapeXml(viewBox)}" preserveAspectRatio="none">${body}</svg>` +
			`<text x="${x + w / 2}" y="${y + 31}" text-anchor="middle" font-family="monospace" font-size="4">${escapeXml(blocks(c.number))}</text></g>`
		);
	});
	const pages = Math.max(1, Math.ceil(cards.length / (cols * rows)));
	const height = 297 * pages;
	return (
		`<?xml version="1.0" encoding="UTF-8"?>\n` +
		`<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="${height}mm" viewBox="0 0 210 ${height}">` +
		`<title>${escapeXml(title)}</title>` +
		`<rect width="210" height="${height}" fill="#fff"/>` +
		labels.join('') +
		`</svg>\n`
	);
}
