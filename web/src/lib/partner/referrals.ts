// Referrals as the partner runs them: the landing domains and the DNS record that proves
// each, the program form (rewards in euros, per cent or points; the monthly budget in euros)
// and its conditions in plain German, a program's state, and its figures per day. The days
// are the API's (`from` and `to` of the statistics), never the browser's clock.

import type { components } from '../api/schema';
import type { Problem } from '../api/client';
import { formatCents, formatDate } from '../format';
import { eurosToCents } from './offers';
import { nextDay } from './stats';

export { eurosToCents };

type Schemas = components['schemas'];
export type Program = Schemas['Program'];
export type ProgramInput = Schemas['ProgramInput'];
export type ProgramStatus = Schemas['ProgramStatus'];
export type RewardRule = Schemas['RewardRule'];
export type Reward = Schemas['Reward'];
export type Domain = Schemas['Domain'];
export type ApiKey = Schemas['KeyView'];
export type NewKey = Schemas['NewKey'];
export type Statistics = Schemas['Statistics'];
export type DayFigures = Schemas['DayFigures'];

// ---------------------------------------------------------------- landing domains

/** A domain as typed (`https://www.Baeckerei.de/aktion` → `www.baeckerei.de`), or nothing
 *  when it cannot be one; the API checks it again. */
export function domainOf(raw: string): string | undefined {
	const d = raw
		.trim()
		.toLowerCase()
		.replace(/^[a-z]+:\/\//, '')
		.replace(/[/?#].*$/, '')
		.replace(/\.$/, '');
	return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(d) ? d : undefined;
}

/** The list the API is sent when `added` joins the `listed` domains (kept in their order). */
export function withDomain(listed: Domain[], added: string): string[] {
	const names = listed.map((d) => d.domain);
	return names.includes(added) ? names : [...names, added];
}

/** The list without `removed`. */
export function withoutDomain(listed: Domain[], removed: string): string[] {
	return listed.map((d) => d.domain).filter((d) => d !== removed);
}

/** A domain's state in words. */
export function domainState(d: Domain): string {
	return d.verified
		? `Bestätigt${d.verified_at ? ` am ${formatDate(d.verified_at)}` : ''}: Ihre Zielseiten dürfen auf dieser Domain und ihren Subdomains liegen.`
		: 'Noch nicht bestätigt: Legen Sie den TXT-Eintrag an und lassen Sie ihn prüfen.';
}

/** The verified domains, the only ones a landing page may be on. */
export function verifiedDomains(domains: Domain[]): string[] {
	return domains.filter((d) => d.verified).map((d) => d.domain);
}

// ---------------------------------------------------------------- rewards and conditions

const EVENTS: Record<string, string> = { signup: 'eine Anmeldung', purchase: 'einen Einkauf' };

/** The events the form offers, and "another action" with its own name. */
export const EVENT_CHOICES: readonly { key: string; label: string }[] = [
	{ key: 'purchase', label: 'Einkauf' },
	{ key: 'signup', label: 'Anmeldung (z. B. Kundenkonto oder Newsletter)' },
	{ key: 'other', label: 'Andere Aktion' }
];

export type RewardKind = Reward['kind'];
export const REWARD_KINDS: readonly { key: RewardKind; label: string }[] = [
	{ key: 'fixed', label: 'Fester Betrag in Euro' },
	{ key: 'percent', label: 'Prozent des Einkaufswerts' },
	{ key: 'points', label: 'Punkte' },
	{ key: 'voucher', label: 'Gutschein in Euro' }
];

/** `10 %`, `12,5 %` from basis points. */
export function percentText(basisPoints: number): string {
	return `${(basisPoints / 100).toLocaleString('de-DE', { maximumFractionDigits: 2 })} %`;
}

/** What the referrer earns, in one line: "Für einen Einkauf: 10 % des Einkaufswerts". */
export function rewardText(rule: RewardRule): string {
	const what = EVENTS[rule.event] ?? `die Aktion „${rule.event}“`;
	const r = rule.reward;
	let earned: string;
	switch (r.kind) {
		case 'fixed':
			earned = formatCents(r.amount_cents);
			break;
		case 'percent':
			earned = `${percentText(r.basis_points)} des Einkaufswerts`;
			break;
		case 'points':
			earned = r.points === 1 ? '1 Punkt' : `${r.points.toLocaleString('de-DE')} Punkte`;
			break;
		case 'voucher':
			earned = `ein Gutschein über ${formatCents(r.value_cents)}`;
			break;
	}
	return `Für ${what}: ${earned}`;
}

const days = (n: number) => (n === 1 ? '1 Tag' : `${n.toLocaleString('de-DE')} Tage`);

/** The hold period in plain German. */
export function holdText(holdDays: number): string {
	return holdDays === 0
		? 'Keine Wartezeit: Eine Prämie wird in der folgenden Nacht bestätigt. Eine Stornierung danach holt sie zurück, solange sie noch nicht abgerechnet ist.'
		: `Wartezeit ${days(holdDays)}: So lange bleibt eine Prämie vorgemerkt. Wird der Kauf in dieser Zeit storniert (z. B. Rückgabe oder Widerruf), entfällt sie; danach wird sie bestätigt.`;
}

/** The attribution window and rule in plain German. */
export function attributionText(attributionDays: number, attribution: Schemas['Attribution']): string {
	const window = `Ein Abschluss zählt als Empfehlung, wenn er höchstens ${days(attributionDays)} nach dem Klick auf den Empfehlungslink geschieht.`;
	const rule =
		attribution === 'first'
			? 'Erste Empfehlung zählt: Ein geworbener Kunde bleibt bei der Person, die ihn zuerst geworben hat.'
			: 'Letzte Empfehlung zählt: Kauft ein geworbener Kunde über den Link einer anderen Person, gehören seine weiteren Abschlüsse ihr.';
	return `${window} ${rule}`;
}

/** The monthly budget in plain German. */
export function budgetText(cents: number | null | undefined): string {
	return cents == null
		? 'Kein Monatsbudget: Geldprämien sind nicht begrenzt.'
		: `Höchstens ${formatCents(cents)} Geldprämien je Kalendermonat; darüber hinaus werden keine Geldprämien gewährt. Gewährte Prämien stellen wir Ihnen mit der Monatsrechnung in Rechnung.`;
}

/** The program's further conditions, each as a sentence. */
export function conditionLines(p: Program): string[] {
	const out: string[] = [];
	if (p.recurring_months === 0) out.push('Prämien gibt es nur für den ersten Abschluss eines geworbenen Kunden.');
	else if (p.recurring_months != null)
		out.push(`Prämien gibt es für Abschlüsse in den ersten ${p.recurring_months} Monaten nach dem ersten Abschluss.`);
	else out.push('Prämien gibt es für jeden Abschluss eines geworbenen Kunden, ohne zeitliche Grenze.');
	if (p.cap_per_referrer != null) out.push(`Höchstens ${p.cap_per_referrer.toLocaleString('de-DE')} Prämien je werbender Person.`);
	if (p.friend_share_percent) out.push(`${p.friend_share_percent} % jeder Prämie gehen an den geworbenen Kunden.`);
	if (p.voucher_rate)
		out.push(
			`${p.voucher_rate.points.toLocaleString('de-DE')} Punkte ergeben einen Gutschein über ${formatCents(p.voucher_rate.value_cents)}.`
		);
	return out;
}

const STATUS: Record<ProgramStatus, string> = {
	active: 'Teilnehmende können ihren Link teilen, Ihr Shop meldet Abschlüsse.',
	paused: 'Die Empfehlungslinks führen zu einer Hinweisseite, bis Sie das Programm fortsetzen.',
	ended: 'Es nimmt keine neuen Teilnehmer und Abschlüsse mehr an; vorgemerkte Prämien werden noch bestätigt oder storniert.'
};

const LABEL: Record<ProgramStatus, string> = { active: 'Läuft', paused: 'Pausiert', ended: 'Beendet' };

/** The state in one word (`statusLabel`), and what it means (`statusText`). */
export function statusLabel(s: ProgramStatus): string {
	return LABEL[s];
}
export function statusText(s: ProgramStatus): string {
	return STATUS[s];
}

/** What ending a program does, said before it is confirmed. */
export const END_TEXT =
	'Ein beendetes Programm lässt sich nicht wieder starten: Seine Links führen zu einer Hinweisseite, Abschlüsse werden nicht mehr angenommen. Bereits vorgemerkte Prämien werden nach der Wartezeit noch bestätigt.';

// ---------------------------------------------------------------- the program form

export interface RewardRow {
	event: string;
	/** The action's own name when `event` is `other`. */
	custom: string;
	kind: RewardKind;
	/** Euros (`5,00`), per cent (`10` or `2,5`) or points, as typed. */
	value: string;
}

export interface ProgramForm {
	name: string;
	landingUrl: string;
	rewards: RewardRow[];
	budget: string;
	holdDays: string;
	attributionDays: string;
	attribution: Schemas['Attribution'];
	/** `once`, `months` or `always`. */
	recurring: 'once' | 'months' | 'always';
	recurringMonths: string;
	cap: string;
	friendShare: string;
	voucherPoints: string;
	voucherValue: string;
}

export function emptyReward(): RewardRow {
	return { event: 'purchase', custom: '', kind: 'percent', value: '' };
}

export function emptyProgramForm(domain = ''): ProgramForm {
	return {
		name: '',
		landingUrl: domain ? `https://${domain}/` : '',
		rewards: [emptyReward()],
		budget: '',
		holdDays: '14',
		attributionDays: '30',
		attribution: 'first',
		recurring: 'once',
		recurringMonths: '12',
		cap: '',
		friendShare: '',
		voucherPoints: '',
		voucherValue: ''
	};
}

/** Per cent as typed (`10`, `2,5`, `12,75 %`) in basis points, or nothing. */
export function percentToBasisPoints(raw: string): number | undefined {
	const m = /^(\d{1,3})(?:,(\d{1,2}))?$/.exec(raw.trim().replace(/\s*%$/, ''));
	if (!m) return undefined;
	return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}

/** A whole number as typed, or nothing. */
function whole(raw: string): number | undefined {
	const t = raw.trim().replace(/\./g, '');
	return /^\d{1,7}$/.test(t) ? Number(t) : undefined;
}

function rewardOf(row: RewardRow): Reward | undefined {
	switch (row.kind) {
		case 'fixed': {
			const c = eurosToCents(row.value);
			return c === undefined ? undefined : { kind: 'fixed', amount_cents: c };
		}
		case 'voucher': {
			const c = eurosToCents(row.value);
			return c === undefined ? undefined : { kind: 'voucher', value_cents: c };
		}
		case 'percent': {
			const b = percentToBasisPoints(row.value);
			return b === undefined ? undefined : { kind: 'percent', basis_points: b };
		}
		case 'points': {
			const p = whole(row.value);
			return p === undefined ? undefined : { kind: 'points', points: p };
		}
	}
}

const VALUE_HINT: Record<RewardKind, string> = {
	fixed: 'Bitte geben Sie den Betrag in Euro an, z. B. 5,00.',
	voucher: 'Bitte geben Sie den Wert des Gutscheins in Euro an, z. B. 10,00.',
	percent: 'Bitte geben Sie die Prozent an, z. B. 10 oder 2,5.',
	points: 'Bitte geben Sie die Punkte als ganze Zahl an, z. B. 100.'
};

/** What the form sends (`POST /programs`), and what must be fixed before: the numbers the
 *  API takes in cents, basis points or days are read here, everything else the API checks.
 *  Errors are keyed by the API's field names (`rewards[0].reward`, `monthly_budget_cents`). */
export function programInputOf(f: ProgramForm): { input: ProgramInput; errors: Record<string, string> } {
	const errors: Record<string, string> = {};
	const rewards: RewardRule[] = [];
	f.rewards.forEach((row, i) => {
		const event = row.event === 'other' ? row.custom.trim().toLowerCase() : row.event;
		if (row.event === 'other' && !event) errors[`rewards[${i}].event`] = 'Bitte nennen Sie die Aktion, z. B. abo.';
		const reward = rewardOf(row);
		if (!reward) errors[`rewards[${i}].reward`] = VALUE_HINT[row.kind];
		rewards.push({ event, reward: reward ?? { kind: 'fixed', amount_cents: 0 } });
	});
	const budget = eurosToCents(f.budget);
	if (budget === undefined) errors['monthly_budget_cents'] = 'Bitte geben Sie das Monatsbudget in Euro an, z. B. 500,00.';
	const hold = whole(f.holdDays);
	if (hold === undefined) errors['hold_days'] = 'Bitte geben Sie die Wartezeit in Tagen an, z. B. 14.';
	const window = whole(f.attributionDays);
	if (window === undefined) errors['attribution_days'] = 'Bitte geben Sie die Tage an, z. B. 30.';
	const input: ProgramInput = {
		name: f.name,
		landing_url: f.landingUrl.trim(),
		rewards,
		monthly_budget_cents: budget ?? 0,
		hold_days: hold ?? 0,
		attribution_days: window ?? 0,
		attribution: f.attribution
	};
	if (f.recurring === 'once') input.recurring_months = 0;
	else if (f.recurring === 'months') {
		const m = whole(f.recurringMonths);
		if (m === undefined) errors['recurring_months'] = 'Bitte geben Sie die Monate an, z. B. 12.';
		input.recurring_months = m ?? 0;
	}
	if (f.cap.trim()) {
		const c = whole(f.cap);
		if (c === undefined) errors['cap_per_referrer'] = 'Bitte eine ganze Zahl, oder leer lassen für unbegrenzt.';
		input.cap_per_referrer = c ?? 0;
	}
	if (f.friendShare.trim()) {
		const s = whole(f.friendShare.replace(/\s*%$/, ''));
		if (s === undefined) errors['friend_share_percent'] = 'Bitte eine ganze Zahl von 0 bis 100.';
		input.friend_share_percent = s ?? 0;
	}
	if (f.rewards.some((r) => r.kind === 'points') || f.voucherPoints.trim() || f.voucherValue.trim()) {
		const points = whole(f.voucherPoints);
		const value = eurosToCents(f.voucherValue);
		if (points === undefined) errors['voucher_rate.points'] = 'Bitte geben Sie an, wie viele Punkte einen Gutschein ergeben.';
		if (value === undefined) errors['voucher_rate.value_cents'] = 'Bitte geben Sie den Wert des Gutscheins in Euro an.';
		input.voucher_rate = { points: points ?? 0, value_cents: value ?? 0 };
	}
	return { input, errors };
}

/** The API's field errors as the form shows them: the landing page's said without the
 *  API's paths, as the partner confirms domains on the domains page. */
export function programErrors(problem: Problem): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [field, message] of Object.entries(problem.fields)) {
		out[field] = message.includes('/partners/me/referral-domains')
			? 'muss auf einer Ihrer bestätigten Domains liegen (siehe „Domains“).'
			: message;
	}
	return out;
}

// ---------------------------------------------------------------- figures per day

export interface FigureDay {
	/** `2026-12-06`. */
	day: string;
	clicks: number;
	uniqueClicks: number;
	conversions: number;
	pending: number;
	confirmed: number;
	reversed: number;
	commissionCents: number;
}

function figures(day: string, f?: DayFigures): FigureDay {
	return {
		day,
		clicks: f?.clicks ?? 0,
		uniqueClicks: f?.unique_clicks ?? 0,
		conversions: f?.conversions ?? 0,
		pending: f?.rewards_pending ?? 0,
		confirmed: f?.rewards_confirmed ?? 0,
		reversed: f?.rewards_reversed ?? 0,
		commissionCents: f?.commission_cents ?? 0
	};
}

/** Every day of the answer's period (`from` to `to`, the API's), the days without figures
 *  as zero. */
export function figureSeries(s: Statistics): FigureDay[] {
	const byDay = new Map(s.days.filter((d) => d.date).map((d) => [d.date as string, d]));
	const out: FigureDay[] = [];
	for (let day = s.from; day <= s.to && out.length < 93; day = nextDay(day)) {
		out.push(figures(day, byDay.get(day)));
	}
	return out;
}

/** The periods the figures can be shown for, in days (the API answers at most 92). */
export const PERIODS: readonly number[] = [30, 90];

/** The first day of a period of `span` days ending on `to` (`2026-12-06`, 30 → `2026-11-07`). */
export function periodFrom(to: string, span: number): string {
	const [y, m, d] = to.split('-').map(Number) as [number, number, number];
	return new Date(Date.UTC(y, m - 1, d - (span - 1))).toISOString().slice(0, 10);
}

/** The days with any figure, for the table. */
export function countedDays(series: FigureDay[]): FigureDay[] {
	return series.filter(
		(d) => d.clicks || d.uniqueClicks || d.conversions || d.pending || d.confirmed || d.reversed || d.commissionCents
	);
}

export function totalOf(s: Statistics): FigureDay {
	return figures('', s.total);
}

const count = (n: number, one: string, many: string) => (n === 1 ? `1 ${one}` : `${n.toLocaleString('de-DE')} ${many}`);

/** The chart in a sentence, for those who do not see it. */
export function figuresSummary(s: Statistics): string {
	const t = s.total;
	return `vom ${formatDate(s.from)} bis ${formatDate(s.to)}: ${count(t.clicks, 'Klick', 'Klicks')} und ${count(t.conversions, 'Abschluss', 'Abschlüsse')}.`;
}

// ---------------------------------------------------------------- API keys

/** A key in the list: never its secret, only the prefix it starts with. */
export function keyText(k: ApiKey): string {
	return `pnk_${k.prefix}_…`;
}

export function keyState(k: ApiKey): string {
	return k.revoked ? 'Widerrufen: Meldungen mit diesem Schlüssel werden abgelehnt.' : `Aktiv seit ${formatDate(k.created_at)}`;
}
