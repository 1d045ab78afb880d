// The partner portal's page logic, without a browser: the IBAN checked as it is typed, the
// logo checked before upload, the next steps, the platforms' states and the invoices' words,
// the offers' form and states, their statistics, and the placements' rules.

import { expect, test } from '@playwright/test';
import { ibanProblem } from '../src/lib/iban';
import { invoiceStatus, type Invoice } from '../src/lib/partner/invoices';
import { cancellationText, platformState, type Application } from '../src/lib/partner/platforms';
import { logoProblem, patchOf, emptyForm } from '../src/lib/partner/profile';
import { linkedSections, loginPath, sectionHref, sectionOf } from '../src/lib/partner/sections';
import { nextSteps, type Profile } from '../src/lib/partner/start';
import {
	benefitText,
	compare,
	emptyOfferForm,
	eurosToCents,
	fieldErrors,
	formOfOffer,
	inputOf,
	stateText,
	submittable,
	withdrawable,
	type Content,
	type OfferView,
	type PlatformState
} from '../src/lib/partner/offers';
import {
	bookingState,
	bookingSummary,
	cancellable,
	lastDayToCancel,
	slotsText,
	type Booking,
	type KindSlots
} from '../src/lib/partner/placements';
import { dailySeries, nextDay, scale, summary } from '../src/lib/partner/stats';
import {
	attributionText,
	budgetText,
	countedDays,
	domainOf,
	emptyProgramForm,
	figureSeries,
	figuresSummary,
	holdText,
	keyText,
	percentToBasisPoints,
	periodFrom,
	programErrors,
	programInputOf,
	rewardText,
	statusLabel,
	withDomain,
	withoutDomain
} from '../src/lib/partner/referrals';
import { imageProblem } from '../src/lib/imagefile';
import {
	billingText,
	customersText,
	newCustomerOf,
	customerPatchOf,
	tierWarning,
	yearlyPriceText,
	emptyCustomerForm,
	editFormOf,
	type Account,
	type Customer
} from '../src/lib/partner/kundenkonto';
import { closureLines, exportFileName, type ClosurePlan, type DataExport } from '../src/lib/partner/konto';

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
	// The offers' pages are built: the step links there by itself, without a hint.
	const offer = first.find((s) => s.key === 'offer');
	expect(offer?.href).toBe('/partner/angebote');
	expect(offer?.hint).toBeUndefined();

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
			{ id: 'pl', name: 'Sparkasse Vorteilswelt', monthly_fee_cents: 4900, monthly_fee: '49,00 €', upcoming_fees: [] },
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
	expect(linkedSections().map((s) => s.label)).toEqual([
		'Start',
		'Profil',
		'Plattformen',
		'Angebote',
		'Platzierungen',
		'Karten',
		'Empfehlungen',
		'Kundenkonto',
		'Rechnungen',
		'Konto'
	]);
	expect(sectionHref('karten')).toBe('/partner/karten');
	expect(sectionOf('/partner/karten/kasse')?.label).toBe('Karten');
	expect(sectionOf('/partner/empfehlungen/schluessel')?.label).toBe('Empfehlungen');
	expect(sectionOf('/partner/angebote/0191f7a8-0000-7000-8000-000000000000')?.label).toBe('Angebote');
	expect(sectionOf('/partner/profil')?.label).toBe('Profil');
	expect(sectionOf('/partner/')?.label).toBe('Start');
	expect(sectionOf('/partner/rechnungen/2026-000001')?.label).toBe('Rechnungen');
	expect(loginPath('/partner/profil#lastschrift')).toBe('/partner/anmelden?weiter=/partner/profil%23lastschrift');
});

const CONTENT: Content = {
	title: '15 % auf alle Torten',
	teaser: 'Für alle Kundinnen und Kunden',
	description: 'Zeigen Sie den Gutschein an der Theke.',
	benefit: { kind: 'percent', value: 15 },
	online: { shop_url: 'https://shop.baeckerei.de', discount_code: 'TORTE15' },
	in_store: { instructions: 'Gutschein an der Kasse zeigen.', coupon_code: 'TORTE15' },
	valid_from: '2026-12-06',
	valid_to: '2027-03-06',
	categories: ['essen'],
	images: [
		{ image_id: 'a', key: 'offers/p/o/a.png', content_type: 'image/png', size_bytes: 10 },
		{ image_id: 'b', key: 'offers/p/o/b.png', content_type: 'image/png', size_bytes: 10 }
	]
};

function state(status: string, extra: Partial<PlatformState> = {}): PlatformState {
	return { platform_id: 'p1', status, live: false, revision_pending: false, placed_months: [], ...extra };
}

function offerView(platforms: PlatformState[]): OfferView {
	return {
		offer_id: 'o1',
		content: CONTENT,
		platforms,
		created_at: '2026-12-06T09:00:00Z',
		updated_at: '2026-12-06T09:00:00Z'
	};
}

test('the offer form sends what the API takes, amounts in cents, and keeps a saved draft', () => {
	expect(eurosToCents('5')).toBe(500);
	expect(eurosToCents('5,5')).toBe(550);
	expect(eurosToCents('1.234,50 €')).toBe(123450);
	expect(eurosToCents('5,555')).toBeUndefined();
	expect(eurosToCents('fünf')).toBeUndefined();

	const form = emptyOfferForm('2026-12-06', ['p1']);
	form.benefitKind = 'amount';
	form.amount = 'fünf';
	expect(inputOf(form).errors).toEqual({ 'benefit.value': 'Bitte geben Sie den Betrag in Euro an, z. B. 5,00.' });
	form.amount = '5,00';
	form.inStore = true;
	form.instructions = 'An der Kasse';
	form.couponCode = 'KUCHEN5';
	form.categories = ['reisen', 'essen'];
	const { input, errors } = inputOf(form);
	expect(errors).toEqual({});
	expect(input.benefit).toEqual({ kind: 'amount', value: 500, text: undefined });
	expect(input.in_store).toEqual({ instructions: 'An der Kasse', coupon_code: 'KUCHEN5' });
	expect(input.online).toBeUndefined();
	expect(input.categories).toEqual(['essen', 'reisen']);
	expect(input.valid_from).toBe('2026-12-06');

	const saved = formOfOffer(offerView([state('draft')]));
	expect(saved.percent).toBe('15');
	expect(saved.online && saved.shopUrl).toBe('https://shop.baeckerei.de');
	expect(inputOf(saved).input.benefit).toEqual({ kind: 'percent', value: 15, text: undefined });
	expect(formOfOffer({ ...offerView([]), content: { ...CONTENT, benefit: { kind: 'amount', value: 550 } } }).amount).toBe('5,50');
});

test('the benefit reads as in the feed, and the API\'s errors stand at their fields', () => {
	expect(benefitText({ kind: 'percent', value: 15 })).toBe('15 % Rabatt');
	expect(benefitText({ kind: 'amount', value: 500 })).toBe('5,00 € Rabatt');
	expect(benefitText({ kind: 'free_add_on', text: 'Ein Kaffee gratis' })).toBe('Ein Kaffee gratis');

	const problem = {
		status: 422,
		detail: 'Nicht freigeschaltet auf: Volksbank.',
		fields: {
			'platforms[1]': 'Auf Volksbank sind Sie nicht als Partner freigeschaltet.',
			'categories[0]': 'ist keine bekannte Kategorie',
			'images[1]': 'Das Bild wurde noch nicht hochgeladen.',
			'online.shop_url': 'muss eine https-Adresse sein'
		}
	};
	expect(fieldErrors(problem, { platforms: ['p1', 'p2'], categories: ['essen'] }, CONTENT.images ?? [])).toEqual({
		'platform:p2': 'Auf Volksbank sind Sie nicht als Partner freigeschaltet.',
		'category:essen': 'ist keine bekannte Kategorie',
		'image:b': 'Das Bild wurde noch nicht hochgeladen.',
		'online.shop_url': 'muss eine https-Adresse sein'
	});
	// An index beyond what was sent stays with its list.
	expect(fieldErrors({ ...problem, fields: { 'platforms[5]': 'x' } }, { platforms: [], categories: [] })).toEqual({ platforms: 'x' });

	expect(imageProblem('image/png', 6 * 1024 * 1024, new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'ein Bild')).toBe(
		'Die Datei ist 6 MB groß; ein Bild darf höchstens 5 MB groß sein.'
	);
});

test('each platform\'s state is said in words, and what can be done follows from it', () => {
	expect(stateText(state('draft'))).toBe('Entwurf, noch nicht eingereicht');
	expect(stateText(state('in_review', { submitted_at: '2026-12-06T09:00:00Z' }))).toBe('Wird geprüft (eingereicht am 06.12.2026)');
	expect(stateText(state('approved', { live: true, decided_at: '2026-12-07T09:00:00Z' }))).toBe(
		'Freigegeben am 07.12.2026 und im Feed sichtbar'
	);
	expect(stateText(state('approved', { live: true, revision_pending: true, decided_at: '2026-12-07T09:00:00Z' }))).toBe(
		'Freigegeben am 07.12.2026 und im Feed sichtbar; Ihre Überarbeitung ist noch nicht eingereicht'
	);
	expect(stateText(state('in_review', { live: true, revision_pending: true, submitted_at: '2026-12-08T09:00:00Z' }))).toBe(
		'Überarbeitung wird geprüft (eingereicht am 08.12.2026); die freigegebene Fassung bleibt sichtbar'
	);
	expect(stateText(state('rejected', { decided_at: '2026-12-07T09:00:00Z' }))).toBe('Abgelehnt am 07.12.2026');
	expect(stateText(state('withdrawn'))).toBe('Zurückgezogen, nicht mehr sichtbar');

	expect(submittable(offerView([state('draft')]))).toBe(true);
	expect(submittable(offerView([state('in_review')]))).toBe(false);
	expect(submittable(offerView([state('approved', { live: true })]))).toBe(false);
	expect(submittable(offerView([state('approved', { live: true, revision_pending: true })]))).toBe(true);
	expect(withdrawable(offerView([state('approved', { live: true })]))).toBe(true);
	expect(withdrawable(offerView([state('in_review')]))).toBe(true);
	expect(withdrawable(offerView([state('draft'), state('withdrawn')]))).toBe(false);
});

test('a revision is compared with the version shown, field by field', () => {
	const draft: Content = {
		...CONTENT,
		title: '20 % auf alle Torten',
		benefit: { kind: 'percent', value: 20 },
		images: [...(CONTENT.images ?? [])].reverse()
	};
	const rows = compare(CONTENT, draft);
	const changed = rows.filter((r) => r.changed).map((r) => r.label);
	expect(changed).toEqual(['Titel', 'Vorteil', 'Bilder']);
	expect(rows.find((r) => r.label === 'Vorteil')).toEqual({
		label: 'Vorteil',
		live: '15 % Rabatt',
		draft: '20 % Rabatt',
		changed: true
	});
	expect(rows.find((r) => r.label === 'Gültig')?.live).toBe('06.12.2026 bis 06.03.2027');
	expect(rows.find((r) => r.label === 'Online einlösbar')?.live).toBe('https://shop.baeckerei.de, Code TORTE15');
	expect(compare(CONTENT, CONTENT).some((r) => r.changed)).toBe(false);
});

test('views and click-outs fill the days between those counted, platforms summed or apart', () => {
	expect(nextDay('2026-12-31')).toBe('2027-01-01');
	expect(nextDay('2028-02-28')).toBe('2028-02-29');
	const days = [
		{ day: '2026-12-30', platform_id: 'p1', views: 3, click_outs: 1 },
		{ day: '2026-12-30', platform_id: 'p2', views: 2, click_outs: 0 },
		{ day: '2027-01-02', platform_id: 'p1', views: 1, click_outs: 1 }
	];
	expect(dailySeries(days, undefined)).toEqual([
		{ day: '2026-12-30', views: 5, clickOuts: 1 },
		{ day: '2026-12-31', views: 0, clickOuts: 0 },
		{ day: '2027-01-01', views: 0, clickOuts: 0 },
		{ day: '2027-01-02', views: 1, clickOuts: 1 }
	]);
	expect(dailySeries(days, 'p2')).toEqual([{ day: '2026-12-30', views: 2, clickOuts: 0 }]);
	expect(dailySeries(days, undefined, 2).map((d) => d.day)).toEqual(['2027-01-01', '2027-01-02']);
	expect(dailySeries([], undefined)).toEqual([]);
	expect(summary(dailySeries(days, undefined))).toBe('vom 30.12.2026 bis 02.01.2027: 6 Aufrufe und 2 Klicks zum Shop.');
	expect(summary(dailySeries(days, 'p2'))).toBe('am 30.12.2026: 2 Aufrufe und 0 Klicks zum Shop.');
	expect(scale(0)).toEqual({ top: 1, ticks: [0, 1] });
	expect(scale(3)).toEqual({ top: 3, ticks: [0, 1, 2, 3] });
	expect(scale(23)).toEqual({ top: 30, ticks: [0, 10, 20, 30] });
	expect(scale(1234)).toEqual({ top: 1500, ticks: [0, 500, 1000, 1500] });
});

test('a placement can be cancelled until its month starts, and says so before booking', () => {
	expect(lastDayToCancel('2027-01')).toBe('2026-12-31');
	expect(lastDayToCancel('2028-03')).toBe('2028-02-29');
	const kind: KindSlots = {
		kind_id: 'k1',
		name: 'Top-Platzierung',
		price_cents: 4900,
		slots_per_month: 3,
		months: []
	};
	expect(bookingSummary(kind, '2027-01', '2026-12', 'Sparkasse')).toBe(
		'„Top-Platzierung“ auf Sparkasse im Januar 2027: 49,00 € zzgl. USt. Stornieren können Sie kostenlos bis einschließlich 31.12.2026.'
	);
	expect(bookingSummary(kind, '2026-12', '2026-12', 'Sparkasse')).toContain('sofort verbindlich');
	expect(slotsText(2, 3)).toBe('2 von 3 Plätzen frei');
	expect(slotsText(1, 1)).toBe('1 von 1 Platz frei');
	expect(slotsText(0, 3)).toBe('ausgebucht');

	const booking: Booking = {
		partner_id: 'pa',
		platform_id: 'p1',
		offer_id: 'o1',
		kind_id: 'k1',
		kind_name: 'Top-Platzierung',
		month: '2027-01',
		price_cents: 4900,
		state: 'booked',
		booked_at: '2026-12-06T09:00:00Z'
	};
	expect(cancellable(booking, '2026-12')).toBe(true);
	expect(cancellable(booking, '2027-01')).toBe(false);
	expect(cancellable({ ...booking, state: 'cancelled' }, '2026-12')).toBe(false);
	expect(bookingState(booking, '2026-12')).toBe('Gebucht; kostenlos stornierbar bis einschließlich 31.12.2026.');
	expect(bookingState(booking, '2027-01')).toBe('Gebucht; läuft in diesem Monat und wird berechnet.');
	expect(bookingState({ ...booking, state: 'cancelled', cancelled_at: '2026-12-07T10:00:00Z' }, '2026-12')).toBe(
		'Storniert am 07.12.2026; wird nicht berechnet.'
	);
});

test('referrals: a domain as typed, the program form read into cents and basis points, errors at their fields', () => {
	expect(domainOf(' https://Shop.Baeckerei-Mueller.de/aktion?x=1 ')).toBe('shop.baeckerei-mueller.de');
	expect(domainOf('baeckerei mueller')).toBeUndefined();
	expect(domainOf('localhost')).toBeUndefined();
	const listed = [{ domain: 'a.de', verified: true, txt_name: '_partnernetz.a.de', txt_value: 'x' }];
	expect(withDomain(listed, 'b.de')).toEqual(['a.de', 'b.de']);
	expect(withDomain(listed, 'a.de')).toEqual(['a.de']);
	expect(withoutDomain(listed, 'a.de')).toEqual([]);
	expect(percentToBasisPoints('10')).toBe(1000);
	expect(percentToBasisPoints('2,5 %')).toBe(250);
	expect(percentToBasisPoints('zehn')).toBeUndefined();

	const form = emptyProgramForm('a.de');
	expect(form.landingUrl).toBe('https://a.de/');
	form.name = 'Freunde werben Freunde';
	form.rewards = [
		{ event: 'purchase', custom: '', kind: 'percent', value: '10' },
		{ event: 'signup', custom: '', kind: 'fixed', value: '5' },
		{ event: 'other', custom: 'Abo', kind: 'points', value: '1.000' }
	];
	form.budget = '1.234,50 €';
	form.voucherPoints = '500';
	form.voucherValue = '5,00';
	const { input, errors } = programInputOf(form);
	expect(errors).toEqual({});
	expect(input.rewards).toEqual([
		{ event: 'purchase', reward: { kind: 'percent', basis_points: 1000 } },
		{ event: 'signup', reward: { kind: 'fixed', amount_cents: 500 } },
		{ event: 'abo', reward: { kind: 'points', points: 1000 } }
	]);
	expect(input.monthly_budget_cents).toBe(123450);
	expect(input.recurring_months).toBe(0);
	expect(input.voucher_rate).toEqual({ points: 500, value_cents: 500 });
	expect(input.cap_per_referrer).toBeUndefined();

	form.recurring = 'always';
	form.budget = '';
	form.rewards = [{ event: 'purchase', custom: '', kind: 'fixed', value: '5 Euro' }];
	form.voucherPoints = '';
	form.voucherValue = '';
	const wrong = programInputOf(form);
	expect(wrong.input.recurring_months).toBeUndefined();
	expect(wrong.errors).toEqual({
		'rewards[0].reward': 'Bitte geben Sie den Betrag in Euro an, z. B. 5,00.',
		monthly_budget_cents: 'Bitte geben Sie das Monatsbudget in Euro an, z. B. 500,00.'
	});
	// The API's message naming its own paths is said in the page's words.
	expect(
		programErrors({
			status: 400,
			detail: 'Mehrere Felder sind ungültig.',
			fields: {
				name: 'darf nicht leer sein',
				landing_url: 'muss auf einer Ihrer bestätigten Domains liegen: hinterlegen Sie die Domain (PUT /partners/me/referral-domains) …'
			}
		})
	).toEqual({
		name: 'darf nicht leer sein',
		landing_url: 'muss auf einer Ihrer bestätigten Domains liegen (siehe „Domains“).'
	});
});

test('referrals: rewards, budget, hold and attribution in plain German; the figures fill the API\'s days', () => {
	expect(rewardText({ event: 'purchase', reward: { kind: 'percent', basis_points: 1250 } })).toBe(
		'Für einen Einkauf: 12,5 % des Einkaufswerts'
	);
	expect(rewardText({ event: 'signup', reward: { kind: 'fixed', amount_cents: 500 } })).toBe('Für eine Anmeldung: 5,00 €');
	expect(rewardText({ event: 'abo', reward: { kind: 'voucher', value_cents: 1000 } })).toBe(
		'Für die Aktion „abo“: ein Gutschein über 10,00 €'
	);
	expect(budgetText(50000)).toMatch(/^Höchstens 500,00 € Geldprämien je Kalendermonat;/);
	expect(holdText(1)).toMatch(/^Wartezeit 1 Tag: /);
	expect(holdText(0)).toMatch(/^Keine Wartezeit/);
	expect(attributionText(30, 'last')).toMatch(/höchstens 30 Tage nach dem Klick.*Letzte Empfehlung zählt/);
	expect(statusLabel('paused')).toBe('Pausiert');

	const stats = {
		program_id: 'p',
		from: '2026-11-29',
		to: '2026-12-02',
		days: [
			{ date: '2026-11-30', clicks: 3, unique_clicks: 2, conversions: 1, rewards_pending: 1, rewards_confirmed: 0, rewards_reversed: 0, commission_cents: 0 },
			{ date: '2026-12-02', clicks: 1, unique_clicks: 1, conversions: 0, rewards_pending: 0, rewards_confirmed: 1, rewards_reversed: 0, commission_cents: 1300 }
		],
		total: { date: null, clicks: 4, unique_clicks: 3, conversions: 1, rewards_pending: 1, rewards_confirmed: 1, rewards_reversed: 0, commission_cents: 1300 }
	};
	const series = figureSeries(stats);
	expect(series.map((d) => [d.day, d.clicks, d.conversions])).toEqual([
		['2026-11-29', 0, 0],
		['2026-11-30', 3, 1],
		['2026-12-01', 0, 0],
		['2026-12-02', 1, 0]
	]);
	expect(countedDays(series).map((d) => d.day)).toEqual(['2026-11-30', '2026-12-02']);
	expect(periodFrom('2026-12-06', 30)).toBe('2026-11-07');
	expect(periodFrom('2027-01-15', 90)).toBe('2026-10-18');
	expect(figuresSummary(stats)).toBe('vom 29.11.2026 bis 02.12.2026: 4 Klicks und 1 Abschluss.');
	expect(keyText({ prefix: 'AbCd1234', label: 'Shop', revoked: false, created_at: '2026-12-06T10:00:00Z' })).toBe(
		'pnk_AbCd1234_…'
	);
});
function account(customers: number, extra: Partial<Account> = {}): Account {
	return {
		slug: 'kanzlei',
		access_url: 'https://partnernetz.de/kundenkonto/kanzlei',
		booked_on: '2026-12-06',
		customers,
		tier: customers > 10 ? 'up_to_25' : 'free',
		monthly_price_cents: customers > 10 ? 250 : 0,
		yearly_price_cents: customers > 10 ? 3000 : 0,
		tier_limit: customers > 10 ? 25 : 10,
		next_billing_on: '2027-12-06',
		next_tier:
			customers > 10
				? { tier: 'up_to_50', from_customer: 26, monthly_price_cents: 450, yearly_price_cents: 5400 }
				: { tier: 'up_to_25', from_customer: 11, monthly_price_cents: 250, yearly_price_cents: 3000 },
		tier_history: [],
		...extra
	};
}

test('the customer account warns before the customer that costs more, and says what it costs', () => {
	expect(tierWarning(account(9))).toBeUndefined();
	expect(tierWarning(account(10))).toBe(
		'Mit dem 11. Kunden wechselt Ihr Kundenkonto in die Stufe „bis 25 Kunden“: 30,00 € im Jahr zzgl. USt. (2,50 € im Monat). ' +
			'Für das laufende Vertragsjahr bis zum 05.12.2027 berechnen wir den Unterschied zum bisherigen Monatspreis für die restlichen Monate; ab dem 06.12.2027 gilt der neue Jahresbeitrag.'
	);
	expect(tierWarning(account(25))).toContain('Mit dem 26. Kunden');
	expect(tierWarning(account(25))).toContain('54,00 € im Jahr zzgl. USt. (4,50 € im Monat)');
	// At 99 without the unlimited tier granted there is no next tier: the API refuses instead.
	expect(tierWarning(account(99, { next_tier: null }))).toBeUndefined();
	expect(yearlyPriceText(account(3))).toBe('kostenlos');
	expect(yearlyPriceText(account(11))).toBe('30,00 € im Jahr zzgl. USt. (2,50 € im Monat, jährlich im Voraus)');
	expect(customersText(account(1))).toBe('1 Kunde von 10 in Ihrer Stufe');
	expect(billingText(account(3))).toBe('Nächste Abrechnung am 06.12.2027');
	expect(billingText(account(3, { next_billing_on: null, cancelled_on: '2027-01-10', ends_on: '2027-12-06' }))).toBe(
		'Gekündigt; Ihre Kunden melden sich bis einschließlich 05.12.2027 an.'
	);
});

test('a customer is invited with what was given, and an edit sends only what changed', () => {
	const form = { ...emptyCustomerForm(), first_name: ' Karl ', last_name: 'Kunde', email: 'karl@kunde.de ', folder_url: 'https://c.de/s/1' };
	expect(newCustomerOf(form)).toEqual({ first_name: 'Karl', last_name: 'Kunde', email: 'karl@kunde.de', folder_url: 'https://c.de/s/1' });
	expect(newCustomerOf({ ...form, username: 'karl', folder_password: 'geheim' })).toMatchObject({ username: 'karl', folder_password: 'geheim' });
	const karl: Customer = {
		id: '0191f7a8-0000-7000-8000-000000000000',
		first_name: 'Karl',
		last_name: 'Kunde',
		email: 'karl@kunde.de',
		folder_url: 'https://c.de/s/1',
		has_folder_password: true,
		state: 'active'
	};
	expect(customerPatchOf(karl, editFormOf(karl))).toEqual({});
	expect(customerPatchOf(karl, { ...editFormOf(karl), last_name: 'Kunde-Neu' })).toEqual({ last_name: 'Kunde-Neu' });
	expect(customerPatchOf(karl, { ...editFormOf(karl), remove_password: true })).toEqual({ folder_password: '' });
	expect(customerPatchOf(karl, { ...editFormOf(karl), folder_password: 'neu-geheim' })).toEqual({ folder_password: 'neu-geheim' });
});

test('closing the account says first what ends when; the data file is named by the API\'s day', () => {
	const plan = {
		status: 'open',
		message: 'So wirkt sich das Schließen Ihres Partnerkontos heute aus.',
		closes_on: '2026-12-06',
		subscriptions: [
			{ platform_id: 'p1', platform_name: 'Sparkasse Vorteilswelt', outcome: 'cancelled', last_day: '2027-01-31', monthly_fee_cents: 4900 },
			{ platform_id: 'p2', platform_name: 'Volksbank Plus', outcome: 'withdrawn' }
		],
		customer_account: { slug: 'kanzlei', last_day: '2027-12-05', customers: 11, tier: 'up_to_25' },
		placements: [],
		blockers: [],
		notes: { login: '', invoices: '', kept: [], deleted: [], elsewhere: [] }
	} as unknown as ClosurePlan;
	expect(closureLines(plan)).toEqual([
		'Ihre Teilnahme an Sparkasse Vorteilswelt läuft bis einschließlich 31.01.2027. Die Gebühr von 49,00 € im Monat zzgl. USt. wird bis dahin berechnet.',
		'Ihre Bewerbung bei Volksbank Plus wird zurückgezogen.',
		'Ihr digitales Kundenkonto wird gekündigt: Ihre 11 Kunden melden sich bis einschließlich 05.12.2027 an; das bezahlte Jahr wird nicht erstattet.'
	]);
	expect(closureLines({ ...plan, subscriptions: [], customer_account: null })).toEqual([
		'Es laufen keine Verträge: Nichts endet später als heute.'
	]);
	// 23:30 UTC on the 6th is already the 7th in Berlin.
	expect(exportFileName({ exported_at: '2026-12-06T23:30:00Z' } as DataExport)).toBe('partnernetz-daten-2026-12-07.json');
});
