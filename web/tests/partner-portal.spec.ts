// The partner portal from the sign-up to the invoice: the sign-up form and the mail in the
// outbox, the confirmation leading into the portal, the start page's next steps shrinking as
// the profile is saved, the logo uploaded straight to S3, the mandate given (the IBAN checked
// as typed, then shown masked), an application approved and another rejected through the
// API as the operator, a cancellation with its end date said first, and the month's invoice
// with its PDF and XRechnung.

import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { API, PASSWORD, linkMailedTo, look, uniqueEmail } from './kit';
import { bearer, german, monthName, operatorBearer, platform, type Headers } from './portal-kit';

/** The API's day (`2026-12-06`, Europe/Berlin): when it took the partner's application. */
async function appliedOn(request: APIRequestContext, email: string, platformId: string): Promise<string> {
	const partner = await bearer(request, email, PASSWORD);
	const reply = await request.get(`${API}/partners/me/platforms`, { headers: partner });
	expect(reply.status(), await reply.text()).toBe(200);
	const { applications } = (await reply.json()) as { applications: { platform_id: string; applied_at: string }[] };
	const at = applications.find((a) => a.platform_id === platformId)?.applied_at;
	expect(at, 'the application').toBeDefined();
	return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(new Date(at ?? ''));
}
/** A subscription cancelled today ends with the month after this one. */
function endOfNextMonth(day: string): string {
	const [y, m] = day.split('-').map(Number) as [number, number];
	const last = new Date(Date.UTC(y, m + 1, 0));
	return last.toISOString().slice(0, 10);
}

/** The operator decides the pending application of `email` on `platformId`. */
async function decide(
	request: APIRequestContext,
	operator: Headers,
	platformId: string,
	email: string,
	decision: object
): Promise<void> {
	const list = await request.get(`${API}/platforms/${platformId}/applications?status=pending`, {
		headers: operator
	});
	const { applications } = (await list.json()) as {
		applications: { partner_id: string; contact_email: string }[];
	};
	const mine = applications.find((a) => a.contact_email === email);
	expect(mine, `a pending application of ${email}`).toBeDefined();
	const decided = await request.post(
		`${API}/platforms/${platformId}/applications/${mine?.partner_id}/decision`,
		{ headers: operator, data: decision }
	);
	expect(decided.ok(), await decided.text()).toBe(true);
}

/** The steps the start page lists under "Als Nächstes". */
async function steps(page: Page): Promise<string[]> {
	await page.goto('/partner');
	const next = page.getByRole('region', { name: 'Als Nächstes' });
	await expect(next).toBeVisible();
	return next.getByRole('listitem').allInnerTexts();
}

/** A 1×1 PNG, and the same image with `padding` bytes after its end (browsers ignore them). */
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
	'base64'
);

test('a merchant signs up, sets up the portal and finds the month’s invoice', async ({ page, request }) => {
	test.setTimeout(180_000);
	const operator = await operatorBearer(request);
	const suffix = Date.now().toString(36);
	const sparkasse = `Sparkasse Vorteilswelt ${suffix}`;
	const volksbank = `Volksbank Vorteile ${suffix}`;
	const sparkasseId = await platform(request, operator, sparkasse);
	const volksbankId = await platform(request, operator, volksbank);

	// Sign-up: the API's field errors at their fields, then "confirm your e-mail".
	await page.goto('/partner/registrieren');
	await look(page, 'partner-registrieren');
	await page.getByRole('button', { name: 'Registrieren' }).click();
	await expect(page.locator('#feld-accept_terms-fehler')).toHaveText(
		'Die AGB und die Datenschutzerklärung müssen akzeptiert werden'
	);
	await expect(page.getByLabel('Firma')).toHaveAttribute('aria-invalid', 'true');
	await look(page, 'partner-registrieren-fehler');
	const email = uniqueEmail('baeckerei');
	await page.getByLabel('Firma').fill('Bäckerei Müller GmbH');
	await page.getByLabel('Ihr Name').fill('Anna Müller');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByLabel('Ich akzeptiere die AGB').check();
	await page.getByRole('button', { name: 'Registrieren' }).click();
	await expect(page.getByText('Bitte bestätigen Sie Ihre E-Mail-Adresse')).toBeVisible();
	await look(page, 'partner-registrieren-gesendet');
	await page.getByRole('button', { name: 'Link erneut senden' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'neuer Link' })).toContainText(email);

	// The confirmation link leads into the portal, through the login.
	await page.goto(await linkMailedTo(request, email, '/registrierung/bestaetigen'));
	await expect(page.getByText('Ihre E-Mail-Adresse ist bestätigt')).toBeVisible();
	await page.getByRole('link', { name: 'Zum Partnerbereich' }).click();
	await expect(page).toHaveURL(/\/partner\/anmelden\?weiter=\/partner$/);
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByText('Angemeldet als')).toContainText('Bäckerei Müller GmbH');
	await expect(page.getByRole('region', { name: 'Als Nächstes' }).getByRole('listitem')).toHaveText([
		'Erteilen Sie ein SEPA-Lastschriftmandat für die Gebühren.',
		'Hinterlegen Sie die Anschrift Ihres Unternehmens.',
		'Bewerben Sie sich bei einer Plattform.',
		'Legen Sie Ihr erstes Angebot an.'
	]);
	await expect(page.getByText('Kein Kartenvertrag abgeschlossen.')).toBeVisible();
	await expect(page.getByRole('link', { name: 'Kartenvertrag ansehen' })).toHaveAttribute('href', '/partner/karten');
	await expect(page.getByText('Noch keine Rechnung.')).toBeVisible();
	await look(page, 'partner-start-neu');

	// The navigation: the built sections only, behind "Menü" on a phone.
	const nav = page.getByRole('navigation', { name: 'Partnerbereich' });
	await expect(nav.getByRole('link')).toHaveText(['Start', 'Profil', 'Plattformen', 'Angebote', 'Platzierungen', 'Karten', 'Empfehlungen', 'Kundenkonto', 'Rechnungen', 'Konto']);
	await expect(nav.getByRole('link', { name: 'Start' })).toHaveAttribute('aria-current', 'page');
	await page.setViewportSize({ width: 390, height: 844 });
	await expect(nav.getByRole('link', { name: 'Profil' })).toBeHidden();
	await nav.getByRole('button', { name: /Menü/ }).click();
	await expect(nav.getByRole('button', { name: /Menü/ })).toHaveAttribute('aria-expanded', 'true');
	await look(page, 'partner-menue');
	await page.setViewportSize({ width: 390, height: 844 });
	await nav.getByRole('link', { name: 'Profil' }).click();
	await expect(page.getByRole('heading', { name: 'Profil', level: 1 })).toBeVisible();
	await expect(nav.getByRole('link', { name: 'Plattformen' })).toBeHidden();
	await page.setViewportSize({ width: 1280, height: 800 });

	// A lapsed session: the page goes to the login and comes back.
	await page.context().clearCookies();
	await page.goto('/partner/profil');
	await expect(page).toHaveURL(/\/partner\/anmelden\?weiter=\/partner\/profil$/);
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page).toHaveURL(/\/partner\/profil$/);

	// The address from the start page's step; errors at their fields.
	await page.goto('/partner');
	await page.getByRole('link', { name: 'Hinterlegen Sie die Anschrift Ihres Unternehmens.' }).click();
	await expect(page).toHaveURL(/\/partner\/profil#anschrift$/);
	await look(page, 'partner-profil');
	await page.getByLabel('Straße und Hausnummer').fill('Hauptstraße 1');
	await page.getByLabel('Postleitzahl').fill('5066');
	await page.getByLabel('Ort').fill('Köln');
	await page.getByLabel('USt-IdNr. (freiwillig)').fill('DE12');
	await page.getByRole('button', { name: 'Angaben speichern' }).click();
	await expect(page.getByLabel('Postleitzahl')).toHaveAttribute('aria-invalid', 'true');
	await expect(page.getByText('ist keine gültige Postleitzahl')).toBeVisible();
	await expect(page.getByText('ist keine gültige USt-IdNr. (z. B. DE123456789)')).toBeVisible();
	await look(page, 'partner-profil-fehler');
	await page.getByLabel('Postleitzahl').fill('50667');
	await page.getByLabel('USt-IdNr. (freiwillig)').fill('de 123 456 789');
	await page.getByRole('button', { name: 'Angaben speichern' }).click();
	await expect(page.getByText('Ihre Angaben sind gespeichert.')).toBeVisible();
	await expect(page.getByLabel('USt-IdNr. (freiwillig)')).toHaveValue('DE123456789');

	// The logo: checked before upload, then sent to S3 with its progress shown.
	const logoField = page.getByLabel('Neues Logo wählen');
	await logoField.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('kein Bild') });
	await expect(page.locator('#feld-logo-fehler')).toHaveText(
		'Die Datei ist kein PNG-Bild. Bitte wählen Sie eine andere Datei.'
	);
	await logoField.setInputFiles({
		name: 'riesig.png',
		mimeType: 'image/png',
		buffer: Buffer.concat([PNG, Buffer.alloc(6 * 1024 * 1024)])
	});
	await expect(page.locator('#feld-logo-fehler')).toHaveText(
		'Die Datei ist 6 MB groß; ein Logo darf höchstens 5 MB groß sein.'
	);
	await logoField.setInputFiles({
		name: 'logo.png',
		mimeType: 'image/png',
		buffer: Buffer.concat([PNG, Buffer.alloc(1024 * 1024)])
	});
	await expect(page.getByRole('img', { name: 'Vorschau des gewählten Logos' })).toBeVisible();
	// A slow line, so the progress can be seen.
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: 256 * 1024
	});
	await page.getByRole('button', { name: 'Logo hochladen' }).click();
	await expect(page.getByText(/Wird hochgeladen: \d+ %/)).toBeVisible();
	await expect(page.getByRole('progressbar')).toBeVisible();
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: -1
	});
	await expect(page.getByText('Ihr Logo ist gespeichert.')).toBeVisible({ timeout: 30_000 });
	const logo = page.getByRole('img', { name: 'Ihr Logo' });
	await expect(logo).toBeVisible();
	await expect.poll(() => logo.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);

	// The mandate: its text first, the IBAN checked as it is typed, then shown masked.
	await page.goto('/partner/profil#lastschrift');
	const text = page.getByTestId('mandatstext');
	await expect(text).toContainText('Gläubiger-Identifikationsnummer: DE98ZZZ09999999999');
	await expect(text).toContainText('Zahlungsempfänger: partnernetz GmbH, Musterstraße 1, 10115 Berlin');
	await expect(text).toContainText('innerhalb von acht Wochen');
	await page.getByLabel('Kontoinhaber').fill('Bäckerei Müller GmbH');
	await page.getByLabel('IBAN').pressSequentially('DE89 3704 0044 0532 0130 01');
	await expect(page.locator('#feld-iban-fehler')).toContainText('Die Prüfziffern passen nicht');
	await look(page, 'partner-mandat-fehler');
	await page.getByLabel('IBAN').press('Backspace');
	await page.getByLabel('IBAN').pressSequentially('0');
	await expect(page.locator('#feld-iban-fehler')).toBeHidden();
	await page.getByRole('button', { name: 'Mandat erteilen' }).click();
	await expect(page.getByText('Ihr SEPA-Lastschriftmandat ist erteilt.')).toBeVisible();
	await expect(page.getByTestId('iban')).toHaveText('DE89 •••• •••• •••• ••30 00');
	await expect(page.locator('body')).not.toContainText('0532 0130');
	await look(page, 'partner-mandat');

	expect(await steps(page)).toEqual([
		'Bewerben Sie sich bei einer Plattform.',
		'Legen Sie Ihr erstes Angebot an.'
	]);

	// Platforms: apply to both; one approved, the other rejected with a reason.
	await page.getByRole('link', { name: 'Bewerben Sie sich bei einer Plattform.' }).click();
	await expect(page.getByRole('heading', { name: 'Plattformen', level: 1 })).toBeVisible();
	const sparkasseRow = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: sparkasse }) });
	const volksbankRow = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: volksbank }) });
	await expect(sparkasseRow).toContainText('49,00 € im Monat zzgl. USt.');
	await expect(sparkasseRow).toContainText('Noch nicht beworben.');
	await sparkasseRow.getByRole('button', { name: `Bei ${sparkasse} bewerben` }).click();
	await expect(sparkasseRow).toContainText(`Ihre Bewerbung bei ${sparkasse} ist eingegangen.`);
	const today = await appliedOn(request, email, sparkasseId);
	await expect(sparkasseRow).toContainText(`Bewerbung vom ${german(today)}: wird geprüft.`);
	await volksbankRow.getByRole('button', { name: `Bei ${volksbank} bewerben` }).click();
	await expect(volksbankRow).toContainText('wird geprüft.');
	await look(page, 'partner-plattformen');

	expect(await steps(page)).toEqual([
		'Legen Sie Ihr erstes Angebot an.'
	]);
	const reviews = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Offene Prüfungen' }) });
	await expect(reviews).toContainText(`Ihre Bewerbung bei ${sparkasse}`);

	await decide(request, operator, sparkasseId, email, { decision: 'approve' });
	await decide(request, operator, volksbankId, email, {
		decision: 'reject',
		reason: 'Wir nehmen zurzeit nur Partner aus Bayern auf.'
	});
	await page.goto('/partner/plattformen');
	await expect(sparkasseRow).toContainText(`Sie nehmen teil seit dem ${german(today)}.`);
	await expect(volksbankRow).toContainText(`Bewerbung abgelehnt am ${german(today)}.`);
	await expect(volksbankRow).toContainText('Begründung: Wir nehmen zurzeit nur Partner aus Bayern auf.');
	await expect(volksbankRow.getByRole('button', { name: `Bei ${volksbank} bewerben` })).toBeVisible();

	// Cancelling says the end date before it is confirmed, and the API's answer agrees.
	const ends = german(endOfNextMonth(today));
	await sparkasseRow.getByRole('button', { name: 'Teilnahme kündigen' }).click();
	await expect(sparkasseRow.locator('.confirm')).toContainText(
		`Wenn Sie jetzt kündigen, endet Ihre Teilnahme an ${sparkasse} mit Ablauf des ${ends}.`
	);
	await look(page, 'partner-plattformen-kuendigen');
	await sparkasseRow.getByRole('button', { name: 'Nicht kündigen' }).click();
	await expect(sparkasseRow.locator('.confirm')).toBeHidden();
	await sparkasseRow.getByRole('button', { name: 'Teilnahme kündigen' }).click();
	await sparkasseRow.getByRole('button', { name: 'Kündigung bestätigen' }).click();
	await expect(sparkasseRow).toContainText(`Gekündigt. Die Teilnahme endet mit Ablauf des ${ends}.`);
	await expect(sparkasseRow).toContainText(`Gekündigt; Ihre Teilnahme endet am ${ends}.`);

	// An offer approved on the platform and a placement this month, set up through the API;
	// then the month's billing run as the operator.
	const partner = await bearer(request, email, PASSWORD);
	const offer = await request.post(`${API}/offers`, {
		headers: partner,
		data: {
			title: '15 % auf alle Torten',
			teaser: 'Für Kundinnen und Kunden der Sparkasse',
			description: 'Zeigen Sie den Gutschein an der Theke.',
			benefit: { kind: 'percent', value: 15 },
			in_store: { instructions: 'Gutschein an der Kasse zeigen.', coupon_code: 'TORTE15' },
			valid_from: today,
			valid_to: endOfNextMonth(today),
			categories: ['essen'],
			platforms: [sparkasseId]
		}
	});
	expect(offer.status(), await offer.text()).toBe(201);
	const offerId = ((await offer.json()) as { offer_id: string }).offer_id;
	const submitted = await request.post(`${API}/offers/${offerId}/submit`, { headers: partner });
	expect(submitted.ok(), await submitted.text()).toBe(true);

	const startPage = await steps(page);
	expect(startPage).toEqual([]);
	await expect(page.getByText('Alles eingerichtet: Es gibt gerade nichts zu tun.')).toBeVisible();
	await expect(reviews).toContainText(`„15 % auf alle Torten“ bei ${sparkasse}`);

	const approved = await request.post(`${API}/platforms/${sparkasseId}/reviews/${offerId}/decision`, {
		headers: operator,
		data: { decision: 'approve', checks: { lawful: true, real_benefit: true } }
	});
	expect(approved.ok(), await approved.text()).toBe(true);
	const kind = await request.post(`${API}/platforms/${sparkasseId}/placement-kinds`, {
		headers: operator,
		data: { name: 'Top-Platzierung', price_cents: 4900, slots_per_month: 3 }
	});
	expect(kind.ok(), await kind.text()).toBe(true);
	const { kind_id } = (await kind.json()) as { kind_id: string };
	const placed = await request.post(`${API}/offers/${offerId}/placements`, {
		headers: partner,
		data: { platform_id: sparkasseId, kind_id, month: today.slice(0, 7) }
	});
	expect(placed.ok(), await placed.text()).toBe(true);
	const run = await request.post(`${API}/billing/runs`, {
		headers: operator,
		data: { period: today.slice(0, 7) }
	});
	expect(run.status(), await run.text()).toBe(202);
	let number = '';
	await expect
		.poll(
			async () => {
				const reply = await request.get(`${API}/partners/me/invoices`, { headers: partner });
				const { invoices } = (await reply.json()) as { invoices: { number: string }[] };
				number = invoices[0]?.number ?? '';
				return invoices.length;
			},
			{ message: 'the invoice of the month', timeout: 60_000 }
		)
		.toBe(1);

	// The start page: this month's placement, the subscription's end, the last invoice.
	await page.goto('/partner');
	await expect(page.getByText(`Top-Platzierung bei ${sparkasse}: 49,00 €`)).toBeVisible();
	await expect(page.getByText(`${sparkasse}: 49,00 € im Monat, gekündigt, endet am ${ends}`)).toBeVisible();
	await expect(page.getByText(`${number} für`)).toContainText('58,31 €');
	await look(page, 'partner-start-eingerichtet');

	// The invoices: 49,00 € net, 58,31 € gross, collected by direct debit; the documents.
	await page.getByRole('link', { name: 'Alle Rechnungen' }).click();
	await expect(page.getByRole('heading', { name: 'Rechnungen', level: 1 })).toBeVisible();
	const row = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: `Rechnung ${number}` }) });
	const month = monthName(today.slice(0, 7));
	await expect(row).toContainText(month);
	await expect(row).toContainText('58,31 €');
	await expect(row).toContainText(/per Lastschrift eingezogen/);
	await look(page, 'partner-rechnungen');
	const pdf = await request.get((await row.getByRole('link', { name: /^PDF/ }).getAttribute('href')) ?? '');
	expect(pdf.status()).toBe(200);
	expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
	const xml = await request.get((await row.getByRole('link', { name: /^XRechnung/ }).getAttribute('href')) ?? '');
	expect(xml.status()).toBe(200);
	expect(await xml.text()).toContain(`<cbc:ID>${number}</cbc:ID>`);
});
