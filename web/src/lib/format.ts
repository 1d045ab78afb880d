// German display of the API's values: money in cents, dates as ISO civil dates.

const euro = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' });

/** `1250` → `12,50 €`. */
export function formatCents(cents: number): string {
	return euro.format(cents / 100).replace(/\u00a0/g, ' ');
}

/** Euros as typed (`5`, `5,5`, `5,50`, `1.234,50`) in cents, or nothing. */
export function eurosToCents(raw: string): number | undefined {
	const text = raw.trim().replace(/\s*€$/, '').replace(/\./g, '');
	const m = /^(\d{1,6})(?:,(\d{1,2}))?$/.exec(text);
	if (!m) return undefined;
	return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}

/** `2026-12-06` (or a timestamp) → `06.12.2026`, the calendar day in Berlin. */
export function formatDate(value: string): string {
	const civil = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
	if (civil) {
		return `${civil[3]}.${civil[2]}.${civil[1]}`;
	}
	const at = new Date(value);
	if (Number.isNaN(at.getTime())) {
		return value;
	}
	return new Intl.DateTimeFormat('de-DE', {
		timeZone: 'Europe/Berlin',
		day: '2-digit',
		month: '2-digit',
		year: 'numeric'
	}).format(at);
}

const clock = new Intl.DateTimeFormat('de-DE', {
	timeZone: 'Europe/Berlin',
	hour: '2-digit',
	minute: '2-digit'
});

/** A timestamp → `09:30`, the time of day in Berlin. */
export function formatTime(value: string): string {
	const at = new Date(value);
	return Number.isNaN(at.getTime()) ? value : clock.format(at);
}

const monthName = new Intl.DateTimeFormat('de-DE', {
	timeZone: 'UTC',
	month: 'long',
	year: 'numeric'
});

/** `2026-12` → `Dezember 2026`. */
export function formatMonth(month: string): string {
	const m = /^(\d{4})-(\d{2})$/.exec(month);
	if (!m) {
		return month;
	}
	return monthName.format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)));
}

const civilDay = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' });

/** The calendar day in Berlin at `at` as the API writes dates: `2026-12-06`. */
export function berlinDay(at: Date = new Date()): string {
	return civilDay.format(at);
}
