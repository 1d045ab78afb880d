// Waiting time in working days, as seed 000 promises partners a review "innerhalb von 2-4
// Werktagen": Monday to Friday, without the public holidays of all of Germany (a state's own
// holidays are not counted out). Days are civil days in Europe/Berlin.

/** A civil date `YYYY-MM-DD`. */
export type CivilDate = string;

function utcDay(date: CivilDate): Date {
	return new Date(`${date}T00:00:00Z`);
}

function iso(day: Date): CivilDate {
	return day.toISOString().slice(0, 10);
}

function plusDays(day: Date, days: number): Date {
	return new Date(day.getTime() + days * 86_400_000);
}

/** Easter Sunday of a year (the Gregorian computus of Meeus, Jones and Butcher). */
export function easterSunday(year: number): CivilDate {
	const a = year % 19;
	const b = Math.floor(year / 100);
	const c = year % 100;
	const d = Math.floor(b / 4);
	const e = b % 4;
	const f = Math.floor((b + 8) / 25);
	const g = Math.floor((b - f + 1) / 3);
	const h = (19 * a + b - d - g + 15) % 30;
	const i = Math.floor(c / 4);
	const k = c % 4;
	const l = (32 + 2 * e + 2 * i - h - k) % 7;
	const m = Math.floor((a + 11 * h + 22 * l) / 451);
	const month = Math.floor((h + l - 7 * m + 114) / 31);
	const day = ((h + l - 7 * m + 114) % 31) + 1;
	return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The public holidays of all of Germany in a year. */
export function nationalHolidays(year: number): Set<CivilDate> {
	const easter = utcDay(easterSunday(year));
	return new Set([
		`${year}-01-01`, // Neujahr
		iso(plusDays(easter, -2)), // Karfreitag
		iso(plusDays(easter, 1)), // Ostermontag
		`${year}-05-01`, // Tag der Arbeit
		iso(plusDays(easter, 39)), // Christi Himmelfahrt
		iso(plusDays(easter, 50)), // Pfingstmontag
		`${year}-10-03`, // Tag der Deutschen Einheit
		`${year}-12-25`,
		`${year}-12-26`
	]);
}

/** Whether a civil date is a working day. */
export function isWorkingDay(date: CivilDate): boolean {
	const day = utcDay(date);
	const weekday = day.getUTCDay();
	return weekday !== 0 && weekday !== 6 && !nationalHolidays(day.getUTCFullYear()).has(date);
}

/**
 * The working days that have passed since `since` until `today`: the working days after the
 * day it started waiting, up to and including today. Submitted on a Friday, waiting on
 * Monday: 1; on Tuesday: 2.
 */
export function workingDaysBetween(since: CivilDate, today: CivilDate): number {
	let count = 0;
	let day = plusDays(utcDay(since), 1);
	const end = utcDay(today);
	while (day.getTime() <= end.getTime()) {
		if (isWorkingDay(iso(day))) {
			count += 1;
		}
		day = plusDays(day, 1);
	}
	return count;
}

/** Past this many working days a waiting item is marked: the review promised 2–4. */
export const OVERDUE_AFTER = 2;

/** How long something waits, in German ("seit 3 Werktagen", "seit heute"). */
export function waitingLabel(days: number): string {
	if (days === 0) {
		return 'seit heute';
	}
	return days === 1 ? 'seit 1 Werktag' : `seit ${days} Werktagen`;
}

/** Items oldest first by the instant they started waiting. */
export function oldestFirst<T>(items: readonly T[], since: (item: T) => string): T[] {
	return [...items].sort((a, b) => since(a).localeCompare(since(b)));
}
