// The operator's console: its sections, the months a billing run may be started for, and a
// run's progress in words.

import type { components } from '../api/schema';
import type { NavSection } from './nav';
import { formatMonth } from '../format';

type RunView = components['schemas']['RunView'];
type InvoiceState = components['schemas']['InvoiceState'];
type AccountState = components['schemas']['AccountState'];

/** The operator's login. */
export const OPERATOR_LOGIN = '/betreiber/anmelden';

export const OPERATOR_SECTIONS: readonly NavSection[] = [
	{ key: 'plattformen', label: 'Plattformen', path: '/betreiber' },
	{ key: 'partner', label: 'Partner', path: '/betreiber/partner' },
	{ key: 'abrechnung', label: 'Abrechnung', path: '/betreiber/abrechnung' },
	{ key: 'auszahlungen', label: 'Auszahlungen', path: '/betreiber/auszahlungen' },
	{ key: 'einstellungen', label: 'Einstellungen', path: '/betreiber/einstellungen' }
];

/** The month `YYYY-MM` of a Berlin civil date `YYYY-MM-DD`. */
export function monthOf(day: string): string {
	return day.slice(0, 7);
}

/** The month before `YYYY-MM`. */
export function previousMonth(month: string): string {
	const [year, m] = month.split('-').map(Number) as [number, number];
	return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, '0')}`;
}

/**
 * The months a run may be started for on `today`: only months that have begun, the
 * current one first, then the `count - 1` before it.
 */
export function startableMonths(today: string, count = 3): string[] {
	const months = [monthOf(today)];
	while (months.length < count) {
		months.push(previousMonth(months[months.length - 1] ?? monthOf(today)));
	}
	return months;
}

/** The confirmation that names the month before a run starts. */
export function startQuestion(month: string): string {
	return `Die Abrechnung für ${formatMonth(month)} jetzt starten? Alle Partner mit fälligen Beträgen erhalten ihre Rechnung per E-Mail, die Lastschriften werden angekündigt.`;
}

/** Whether invoices are still being written: not every planned partner is settled yet. */
export function inProgress(run: RunView): boolean {
	const settled = (run.invoices ?? 0) + (run.nothing_due ?? 0) + run.failed;
	return settled < (run.planned ?? 0);
}

/** A run's progress in words. */
export function progressText(run: RunView): string {
	const planned = run.planned ?? 0;
	const done = (run.invoices ?? 0) + (run.nothing_due ?? 0);
	const failed = run.failed ? `, ${run.failed} fehlgeschlagen` : '';
	return `${done} von ${planned} Partnern abgerechnet${failed}`;
}

/** The month after `YYYY-MM`. */
export function nextMonth(month: string): string {
	const [year, m] = month.split('-').map(Number) as [number, number];
	return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
}

/**
 * The months a price or fee may change from on `today`: the current month (refused by the
 * API once its billing run has started) and the `count - 1` after it.
 */
export function changeableMonths(today: string, count = 13): string[] {
	const months = [monthOf(today)];
	while (months.length < count) {
		months.push(nextMonth(months[months.length - 1] ?? monthOf(today)));
	}
	return months;
}

/** An invoice's state as the operator reads it. */
export function invoiceStateText(
	state: InvoiceState,
	sepaFile?: string | null,
	related?: string | null
): string {
	switch (state) {
		case 'transfer':
			return 'per Überweisung (kein Mandat)';
		case 'debit_due':
			return 'Lastschrift angekündigt, noch in keiner SEPA-Datei';
		case 'debit_in_file':
			return sepaFile ? `Lastschrift in ${sepaFile}` : 'Lastschrift in einer SEPA-Datei';
		case 'cancelled':
			return related ? `storniert durch ${related}` : 'storniert';
		case 'credit_note':
			return related ? `Stornorechnung zu ${related}` : 'Stornorechnung';
	}
}

/** An account's state in words. */
export function accountStateText(state: AccountState): string {
	switch (state) {
		case 'active':
			return 'aktiv';
		case 'disabled':
			return 'gesperrt';
		case 'closed':
			return 'vom Partner geschlossen';
	}
}
