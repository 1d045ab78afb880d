// The cards section's page logic, without a browser: the contract's terms and end in words,
// the four kinds' rules in plain German, the program form and its errors, the periods of the
// statistics and their bars, and the sheet of barcodes.

import { expect, test } from '@playwright/test';
import {
	barcodeSheet,
	cancelText,
	contractState,
	emptyProgramForm,
	groupBars,
	periodLabel,
	programErrors,
	programOf,
	rulesText,
	termsLines,
	terminalState,
	turnoverBars,
	type CardContract
} from '../src/lib/partner/cards';

const CONTRACT: CardContract = {
	signed_on: '2026-03-15',
	fee_per_terminal_user_cents: 990,
	fee_per_terminal_user: '9,90 €',
	terminal_users: 2,
	monthly_fee_cents: 1980,
	term_end: '2028-03-14',
	last_day_to_cancel: '2027-12-14',
	ends_if_cancelled_today: '2028-03-14'
};

test('the contract: terms before signing, the state, and the end a cancellation gives', () => {
	expect(
		termsLines({
			signed_on: '2026-12-06',
			fee_per_terminal_user_cents: 990,
			fee_per_terminal_user: '9,90 €',
			term_end: '2028-12-05',
			last_day_to_cancel: '2028-09-05'
		})
	).toEqual([
		'Gebühr: 9,90 € je Kassenzugang und Monat zzgl. USt., berechnet mit Ihrer Monatsrechnung. Ohne Kassenzugang zahlen Sie nichts.',
		'Laufzeit: ab heute (06.12.2026) zwei Jahre, also bis 05.12.2028; danach verlängert sich der Vertrag um jeweils ein Jahr.',
		'Kündigung: spätestens drei Monate vor dem Ende der Laufzeit, für die erste Laufzeit also bis 05.09.2028.'
	]);
	expect(contractState(CONTRACT)[0]).toBe(
		'Abgeschlossen am 15.03.2026. 2 Kassenzugänge zu je 9,90 € im Monat zzgl. USt.: 19,80 € in diesem Monat.'
	);
	expect(cancelText(CONTRACT)).toMatch(/^Wenn Sie heute kündigen, endet der Vertrag am 14\.03\.2028\. /);
	// Too late for this term: the next one's end, and why.
	expect(cancelText({ ...CONTRACT, ends_if_cancelled_today: '2029-03-14' })).toContain(
		'endet der Vertrag am 14.03.2029 (die Kündigungsfrist der laufenden Laufzeit ist vorbei, darum mit der nächsten)'
	);
	const cancelled = { ...CONTRACT, cancelled_on: '2027-01-10', ends_on: '2028-03-14', ends_if_cancelled_today: null };
	expect(contractState(cancelled)[1]).toMatch(/^Gekündigt am 10\.01\.2027; der Vertrag endet am 14\.03\.2028\./);
});

test('the four kinds of program say their rules in plain German', () => {
	expect(rulesText({ kind: 'bonus', points_per_euro: 2, point_value_cents: 1, expiry_months: 24, pending_days: 14 })).toEqual([
		'Je volle 1,00 € Einkauf gibt es 2 Punkte.',
		'Beim Einlösen ist ein Punkt 0,01 € wert: 100 Punkte sind 1,00 € Rabatt.',
		'Neue Punkte können erst nach 14 Tagen eingelöst werden.',
		'Punkte verfallen 24 Monate nach dem Einkauf, die ältesten zuerst.'
	]);
	expect(rulesText({ kind: 'bonus', points_per_euro: 1, point_value_cents: 5 })).toContain('Punkte verfallen nicht.');
	expect(rulesText({ kind: 'prepaid', max_balance_cents: 25000 })).toContain('Auf der Karte dürfen höchstens 250,00 € stehen.');
	expect(rulesText({ kind: 'stamp', stamps_for_reward: 10, reward: 'ein Kaffee gratis' })).toEqual([
		'Je Besuch mit Einkauf gibt es einen Stempel.',
		'Für 10 Stempel gibt es: ein Kaffee gratis.'
	]);
	expect(rulesText({ kind: 'stamp', stamps_for_reward: 1, reward: 'ein Brot', cents_per_stamp: 500 })[0]).toBe(
		'Je volle 5,00 € Einkaufsbetrag gibt es einen Stempel.'
	);
	expect(rulesText({ kind: 'gift', max_cents: 10000, choices_cents: [1000, 2500] })).toContain(
		'Verkauft werden die Werte 10,00 €, 25,00 €.'
	);
	expect(rulesText({ kind: 'gift', max_cents: 10000 })).toContain('Verkauft wird jeder Wert bis 100,00 €.');
});

test('the program form: the program it describes, or errors at its fields', () => {
	const bonus = programOf({ ...emptyProgramForm(), name: ' Brötchen-Bonus ' });
	expect(bonus).toEqual({
		name: 'Brötchen-Bonus',
		rules: { kind: 'bonus', points_per_euro: 1, point_value_cents: 1, expiry_months: 24, pending_days: undefined }
	});
	expect(programOf({ ...emptyProgramForm(), pointValue: 'ein Cent' })).toEqual({
		errors: {
			name: 'Bitte geben Sie dem Programm einen Namen.',
			pointValue: 'Bitte geben Sie einen Betrag in Euro an, z. B. 2,50.'
		}
	});
	expect(programOf({ ...emptyProgramForm(), name: 'Stempel', kind: 'stamp' })).toEqual({
		errors: { reward: 'Bitte nennen Sie die Prämie für eine volle Karte.' }
	});
	expect(programOf({ ...emptyProgramForm(), name: 'Gutschein', kind: 'gift', giftChoices: '10,00; 25' })).toEqual({
		name: 'Gutschein',
		rules: { kind: 'gift', max_cents: 10000, choices_cents: [1000, 2500] }
	});
	expect(programErrors({ 'rules.points_per_euro': 'muss zwischen 1 und 100 liegen', other: 'x' })).toEqual({
		pointsPerEuro: 'Muss zwischen 1 und 100 liegen.'
	});
});

test('statistics: periods in German, turnover and groups as bars, hidden groups only named', () => {
	expect(periodLabel('2026-12-06')).toBe('06.12.2026');
	expect(periodLabel('2026-W49')).toBe('KW 49/2026');
	expect(periodLabel('2026-12')).toBe('Dezember 2026');
	expect(turnoverBars([{ period: '2026-12-06', bookings: 2, turnover_cents: 2350, loaded_cents: 0 }])).toEqual([
		{ label: '06.12.2026', value: 2350, text: '23,50 €' }
	]);
	expect(
		groupBars([
			{ group: 'weiblich', cardholders: '7' },
			{ group: 'männlich', cardholders: 'verborgen' }
		])
	).toEqual([
		{ label: 'weiblich', value: 7, text: '7 Personen' },
		{ label: 'männlich', value: 0, text: 'verborgen (zu wenige)' }
	]);
	expect(terminalState({ username: 'kasse-1', name: 'Kasse', active: false, created_on: '2026-12-01', disabled_on: '2026-12-06' })).toBe(
		'Gesperrt seit 06.12.2026; kann sich nicht mehr an der Kasse anmelden.'
	);
});

test('the sheet of barcodes holds each card with its number as printed, 24 to an A4 page', () => {
	const svg = '<svg version="1.1" viewBox="0 0 123 80"><rect x="0" y="0" width="1" height="80" fill="#000000"/></svg>';
	const cards = Array.from({ length: 25 }, (_, i) => ({ number: `92760000000000${String(i).padStart(2, '0')}`, svg }));
	const sheet = barcodeSheet(cards, 'Barcodes: Test & Co');
	expect(sheet.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="594mm"')).toBe(true);
	expect(sheet).toContain('<title>Barcodes: Test &amp; Co</title>');
	expect(sheet).toContain('>9276 0000 0000 0000</text>');
	expect(sheet.match(/viewBox="0 0 123 80"/g)).toHaveLength(25);
	// The 25th card starts the second page.
	expect(sheet).toContain('<svg x="5" y="305.5"');
});
