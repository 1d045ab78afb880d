// The consoles' page logic, without a browser: how long an application or an offer has
// waited in working days, and which are past the two working days promised.

import { expect, test } from '@playwright/test';
import { queue, reasonProblem } from '../src/lib/console/manager';
import {
	accountStateText,
	changeableMonths,
	invoiceStateText,
	startableMonths
} from '../src/lib/console/operator';
import {
	easterSunday,
	isWorkingDay,
	oldestFirst,
	waitingLabel,
	workingDaysBetween
} from '../src/lib/console/workdays';

test('Easter Sunday falls on the dates of the calendar', () => {
	expect(easterSunday(2026)).toBe('2026-04-05');
	expect(easterSunday(2027)).toBe('2027-03-28');
	expect(easterSunday(2030)).toBe('2030-04-21');
});

test('weekends and national holidays are not working days', () => {
	expect(isWorkingDay('2026-12-04')).toBe(true); // a Friday
	expect(isWorkingDay('2026-12-05')).toBe(false); // Saturday
	expect(isWorkingDay('2026-12-25')).toBe(false); // 1. Weihnachtstag
	expect(isWorkingDay('2027-03-26')).toBe(false); // Karfreitag
	expect(isWorkingDay('2027-05-06')).toBe(false); // Christi Himmelfahrt
	expect(isWorkingDay('2027-05-17')).toBe(false); // Pfingstmontag
	expect(isWorkingDay('2026-10-03')).toBe(false); // a Saturday anyway
});

test('waiting counts the working days after the day it began', () => {
	// Submitted on a Friday: Monday is the first working day of waiting.
	expect(workingDaysBetween('2026-12-04', '2026-12-04')).toBe(0);
	expect(workingDaysBetween('2026-12-04', '2026-12-06')).toBe(0);
	expect(workingDaysBetween('2026-12-04', '2026-12-07')).toBe(1);
	expect(workingDaysBetween('2026-12-04', '2026-12-08')).toBe(2);
	// Over Christmas: 24th (Thu) → 28th (Mon) is one working day, the holidays between.
	expect(workingDaysBetween('2026-12-24', '2026-12-28')).toBe(1);
	expect(waitingLabel(0)).toBe('seit heute');
	expect(waitingLabel(1)).toBe('seit 1 Werktag');
	expect(waitingLabel(3)).toBe('seit 3 Werktagen');
});

test('a queue counts from the Berlin day it began, and marks what waits past two days', () => {
	const items = [
		{ id: 'late', at: '2026-12-01T23:30:00Z' }, // Wednesday 2 December in Berlin
		{ id: 'new', at: '2026-12-04T08:00:00Z' }
	];
	const rows = queue(items, (i) => i.at, '2026-12-07');
	expect(rows.map((r) => [r.item.id, r.days, r.overdue])).toEqual([
		['late', 3, true],
		['new', 1, false]
	]);
	expect(rows[0]?.label).toBe('seit 3 Werktagen');
});

test('a reason the partner reads is asked for', () => {
	expect(reasonProblem('  ')).toContain('Bitte nennen Sie den Grund');
	expect(reasonProblem('x'.repeat(1001))).toContain('höchstens 1000');
	expect(reasonProblem('Der Rabatt ist kein echter Vorteil.')).toBeUndefined();
});

test('queues list the oldest first', () => {
	const items = [{ at: '2026-12-03T10:00:00Z' }, { at: '2026-11-30T09:00:00Z' }];
	expect(oldestFirst(items, (i) => i.at).map((i) => i.at)).toEqual([
		'2026-11-30T09:00:00Z',
		'2026-12-03T10:00:00Z'
	]);
});

test('the operator changes prices from this month or a later one, and reads states in words', () => {
	expect(startableMonths('2027-01-15')).toEqual(['2027-01', '2026-12', '2026-11']);
	expect(changeableMonths('2026-12-06', 3)).toEqual(['2026-12', '2027-01', '2027-02']);
	expect(invoiceStateText('debit_in_file', 'LS-2026-12-1')).toBe('Lastschrift in LS-2026-12-1');
	expect(invoiceStateText('cancelled', null, '2026-000003')).toBe('storniert durch 2026-000003');
	expect(accountStateText('disabled')).toBe('gesperrt');
});
