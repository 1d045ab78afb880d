// The partner portal's page logic, without a browser: the IBAN checked as it is typed, the
// logo checked before upload, the next steps, the platforms' states and the invoices' words.

import { expect, test } from '@playwright/test';
import { ibanProblem } from '../src/lib/iban';
import { invoiceStatus, type Invoice } from '../src/lib/partner/invoices';
import { cancellationText, platformState, type Application } from '../src/lib/partner/platforms';
import { logoProblem, patchOf, emptyForm } from '../src/lib/partner/profile';
import { linkedSections, loginPath, sectionHref, sectionOf } from '../src/lib/partner/sections';
import { nextSteps, type Profile } from '../src/lib/partner/start';

test('an IBAN is checked as it is typed: length per country and the mod-97 check digits', () => {
	// Still typing: no error for what is merely short.
	expect(ibanProblem('DE89 3704', false)).toBeUndefined();
	expect(ibanProblem('DE89 3704 0044 0532 0130 00', false)).toBeUndefined();
	expect(ibanProblem('de89370400440532013000', true)).toBeUndefined();
	// One digit wrong: the check digits say so at once.
	expect(ibanProblem('DE89 3704 0044 0532 0130 01', false)).toContain('Prüfziffern passen nicht');
	expect(ibanProblem('DE89 3704 0044 0532 0130 001', false)).toBe(
		'Eine IBAN aus DE hat 22 Zeichen; Sie haben 23 eingegeben.'
	);
	expect(ibanProblem('DE89 3704', true)).toBe('Eine IBAN aus DE hat 22 Zeichen; es fehlen noch 14.');
	expect(ibanProblem('89 3704', false)).toBe('Eine IBAN beginnt mit dem Ländercode, zum Beispiel DE.');
	expect(ibanProblem('AT61 1904 3002 3457 3201', true)).toBeUndefined();
	expect(ibanProblem('', true)).toBe('Bitte geben Sie Ihre IBAN ein.');
});

test('a logo is checked for type, size and content before it is uploaded', () => {
	const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
	const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);
	const webp = new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ');
	expect(logoProblem('image/png', 1000, png)).toBeUndefined();
	expect(logoProblem('image/jpeg', 1000, jpeg)).toBeUndefined();
	expect(logoProblem('image/webp', 1000, webp)).toBeUndefined();
	expect(logoProblem('image/svg+xml', 1000, png)).toBe(
		'Bitte wählen Sie ein Bild im Format PNG, JPEG oder WebP.'
	);
	expect(logoProblem('image/png', 6 * 1024 * 1024, png)).toBe(
		'Die Datei ist 6 MB groß; ein Logo darf höchstens 5 MB groß sein.'
	);
	expect(logoProblem('image/png', 5 * 1024 * 1024, png)).toBeUndefined();
	expect(logoProblem('image/png', 1000, jpeg)).toBe(
		'Die Datei ist kein PNG-Bild. Bitte wählen Sie eine andere Datei.'
	);
	expect(logoProblem('image/png', 0, png)).toBe('Die Datei ist leer.');
});

test('the profile form sends what was given; a half address goes along for the API to name', () => {
	const form = { ...emptyForm(), company: 'Bäckerei Müller GmbH', contact_name: 'Anna Müller' };
	expect(patchOf(form)).toEqual({ company: 'Bäckerei Müller GmbH', contact_name: 'Anna Müller' });
	expect(patchOf({ ...form, street: 'Hauptstraße 1', vat_id: 'DE123456789' })).toEqual({
		company: 'Bäckerei Müller GmbH',
		contact_name: 'Anna Müller',
		vat_id: 'DE123456789',
		address: { street: 'Hauptstraße 1', postal_code: '', city: '', country: 'DE' }
	});
});

const PROFILE: Profile = {
	id: 'p',
	company: 'Bäckerei Müller GmbH',
	contact_name: 'Anna Müller',
	email: 'anna@example.de',
	email_confirmed: true
};

function application(status: Application['status'], extra: Partial<Application> = {}): Application {
	return {
		applied_at: '2026-12-01T09:00:00Z',
		company: 'Bäckerei Müller GmbH',
		contact_email: 'anna@example.de',
		partner_id: 'p',
		platform_id: 'pl',
		platform_name: 'Sparkasse Vorteilswelt',
		status,
		...extra
	};
}

test('the next steps shrink as they are done, and link only to pages that exist', () => {
	const today = '2026-12-06';
	const first = nextSteps({ profile: PROFILE, applications: [], offers: 0, today });
	expect(first.map((s) => s.key)).toEqual(['mandate', 'address', 'platform', 'offer']);
	expect(first.find((s) => s.key === 'mandate')?.href).toBe('/partner/profil#lastschrift');
	expect(first.find((s) => s.key === 'address')?.href).toBe('/partner/profil#anschrift');
	expect(first.find((s) => s.key === 'platform')?.href).toBe('/partner/plattformen');
	// The offers' pages are not built yet: the step says so and links nowhere.
	const offer = first.find((s) => s.key === 'offer');
	expect(offer?.href).toBeUndefined();
	expect(offer?.hint).toBe('Angebote legen Sie bald hier im Partnerbereich an.');

	const unconfirmed = nextSteps({ profile: { ...PROFILE, email_confirmed: false }, applications: [], offers: 0, today });
	expect(unconfirmed[0]?.key).toBe('email');

	const done = {
		...PROFILE,
		address: { street: 'Hauptstraße 1', postal_code: '50667', city: 'Köln', country: 'DE' },
		sepa_mandate: { account_holder: 'A', iban: 'DE89 •••• •••• •••• ••30 00', reference: 'PN-1', signed_on: today }
	};
	expect(nextSteps({ profile: done, applications: [application('pending')], offers: 0, today }).map((s) => s.key)).toEqual(['offer']);
	// A rejection is no platform: apply elsewhere (or again).
	expect(
		nextSteps({ profile: done, applications: [application('rejected')], offers: 1, today }).map((s) => s.key)
	).toEqual(['platform']);
	// A cancelled subscription counts until it ends.
	const cancelled = application('cancelled', { approved_on: '2026-11-02', ends_on: '2027-01-31' });
	expect(nextSteps({ profile: done, applications: [cancelled], offers: 1, today })).toEqual([]);
	expect(nextSteps({ profile: done, applications: [cancelled], offers: 1, today: '2027-02-01' }).map((s) => s.key)).toEqual(['platform']);
	// Offers unknown (the read failed): no step claims there are none.
	expect(nextSteps({ profile: done, applications: [cancelled], offers: undefined, today })).toEqual([]);
});

test('each platform says where the application stands and what can be done', () => {
	const today = '2026-12-06';
	expect(platformState(undefined, today)).toEqual({ state: 'Noch nicht beworben.', action: 'apply' });
	expect(platformState(application('pending'), today)).toEqual({
		state: 'Bewerbung vom 01.12.2026: wird geprüft.',
		action: 'withdraw'
	});
	expect(platformState(application('approved', { approved_on: '2026-12-02' }), today)).toEqual({
		state: 'Sie nehmen teil seit dem 02.12.2026.',
		action: 'cancel'
	});
	expect(
		platformState(
			application('rejected', { decided_at: '2026-12-03T10:00:00Z', rejection_reason: 'Kein Bezug zur Region.' }),
			today
		)
	).toEqual({ state: 'Bewerbung abgelehnt am 03.12.2026.', reason: 'Kein Bezug zur Region.', action: 'apply' });
	expect(platformState(application('cancelled', { ends_on: '2027-01-31' }), today)).toEqual({
		state: 'Gekündigt; Ihre Teilnahme endet am 31.01.2027.',
		action: 'none'
	});
	expect(platformState(application('cancelled', { ends_on: '2026-11-30' }), today).action).toBe('apply');
	expect(
		cancellationText(
			{ id: 'pl', name: 'Sparkasse Vorteilswelt', monthly_fee_cents: 4900, monthly_fee: '49,00 €' },
			'2027-01-31'
		)
	).toBe(
		'Wenn Sie jetzt kündigen, endet Ihre Teilnahme an Sparkasse Vorteilswelt mit Ablauf des 31.01.2027. ' +
			'Die Gebühr von 49,00 € im Monat zzgl. USt. wird bis einschließlich Januar 2027 berechnet.'
	);
});

test("an invoice's status says how it is settled", () => {
	const invoice = {
		number: '2026-000001',
		kind: 'invoice',
		period: '2026-12',
		issued_on: '2026-12-01',
		totals: { net_cents: 4900, vat_cents: 931, gross_cents: 5831, vat_percent: 19 },
		direct_debit: {
			account_holder: 'A',
			collection_date: '2026-12-15',
			iban_masked: 'DE89 •••• •••• •••• ••30 00',
			mandate_reference: 'PN-1',
			mandate_signed_on: '2026-11-01'
		}
	} as Invoice;
	expect(invoiceStatus(invoice, [invoice], '2026-12-06')).toBe('wird am 15.12.2026 per Lastschrift eingezogen');
	expect(invoiceStatus(invoice, [invoice], '2026-12-15')).toBe('am 15.12.2026 per Lastschrift eingezogen');
	expect(invoiceStatus({ ...invoice, direct_debit: null }, [], '2026-12-06')).toBe('zahlbar per Überweisung');
	const credit = {
		...invoice,
		number: '2026-000002',
		kind: 'credit_note',
		cancels: { invoice_number: '2026-000001', invoice_issued_on: '2026-12-01', reason: 'doppelt' }
	} as Invoice;
	expect(invoiceStatus(credit, [credit, invoice], '2026-12-06')).toBe('Stornorechnung zu 2026-000001');
	expect(invoiceStatus(invoice, [credit, invoice], '2026-12-06')).toBe('storniert durch 2026-000002');
});

test('the navigation links only the sections that are built; the login comes back', () => {
	expect(linkedSections().map((s) => s.label)).toEqual(['Start', 'Profil', 'Plattformen', 'Rechnungen']);
	expect(sectionHref('angebote')).toBeUndefined();
	expect(sectionOf('/partner/profil')?.label).toBe('Profil');
	expect(sectionOf('/partner/')?.label).toBe('Start');
	expect(sectionOf('/partner/rechnungen/2026-000001')?.label).toBe('Rechnungen');
	expect(loginPath('/partner/profil#lastschrift')).toBe('/partner/anmelden?weiter=/partner/profil%23lastschrift');
});
