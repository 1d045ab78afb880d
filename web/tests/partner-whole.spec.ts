// One partner through the whole portal, in the browser wherever a page exists: the sign-up
// form and the confirmation mail from the outbox, the address and the SEPA mandate on the
// profile, the application on the platforms page (approved through the API as the operator),
// an offer with two images from the editor, approved through the API and then shown in the
// platform's public feed with the premium placement booked on the placements page; the card
// contract, a bonus program, a batch and a terminal user, who sets the password from the
// mailed invitation and books at the till; a referral program on a verified landing domain;
// the customer account with eleven customers, the tier warning shown before the eleventh;
// and, after the operator's billing run, the month's invoice on the invoices page with its
// PDF. Only what other audiences do goes through the API (the operator's platform, placement
// kind, card price, decisions and billing run), and the first ten customers, for speed.
//
// No date comes from this machine's clock: "today" is the day the API approved the partner
// (`approved_on`), the month is the API's (`this_month` of the placement slots).

import { expect, test } from '@playwright/test';
import { API, PASSWORD, linkMailedTo, look, uniqueEmail } from './kit';
import {
	addCustomer,
	addDays,
	bearer,
	german,
	inviteCustomer,
	logIn,
	monthName,
	operatorBearer,
	platform
} from './portal-kit';
import { tillUserBooks } from './merchant';

/** A 2×1 and a 3×1 PNG, told apart by their width. */
const WIDE = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAADUlEQVR4nGM4IScHRAAIdwIJkXAbPAAAAABJRU5ErkJggg==',
	'base64'
);
const WIDER = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAMAAAABCAIAAACUgoPjAAAADUlEQVR4nGOQkzsBQQANSAMNU/ueKAAAAABJRU5ErkJggg==',
	'base64'
);

test('one partner goes from the sign-up through every section to the month’s invoice', async ({
	page,
	request,
	browser
}) => {
	test.setTimeout(90_000);
	const baseURL = test.info().project.use.baseURL;
	const operator = await operatorBearer(request);
	const suffix = Date.now().toString(36);
	const sparkasse = `Sparkasse Rundum ${suffix}`;
	const sparkasseId = await platform(request, operator, sparkasse);
	const kind = await request.post(`${API}/platforms/${sparkasseId}/placement-kinds`, {
		headers: operator,
		data: { name: 'Top-Platzierung', price_cents: 3900, slots_per_month: 3 }
	});
	expect(kind.status(), await kind.text()).toBe(201);
	const price = await request.put(`${API}/cards/price`, {
		headers: operator,
		data: { fee_per_terminal_user_cents: 990 }
	});
	expect(price.status(), await price.text()).toBe(200);
	const nav = page.getByRole('navigation', { name: 'Partnerbereich' });

	// Sign-up, the mail in the outbox, the confirmation and the login.
	const email = uniqueEmail('rundum');
	await page.goto('/partner/registrieren');
	await page.getByLabel('Firma').fill('Bäckerei Müller GmbH');
	await page.getByLabel('Ihr Name').fill('Anna Müller');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByLabel('Ich akzeptiere die AGB').check();
	await page.getByRole('button', { name: 'Registrieren' }).click();
	await expect(page.getByText('Bitte bestätigen Sie Ihre E-Mail-Adresse')).toBeVisible();
	await page.goto(await linkMailedTo(request, email, '/registrierung/bestaetigen'));
	await expect(page.getByText('Ihre E-Mail-Adresse ist bestätigt')).toBeVisible();
	await page.getByRole('link', { name: 'Zum Partnerbereich' }).click();
	await logIn(page, email);
	await expect(page.getByText('Angemeldet als')).toContainText('Bäckerei Müller GmbH');

	// Profile: the address, then the SEPA mandate, shown masked.
	await nav.getByRole('link', { name: 'Profil' }).click();
	await page.getByLabel('Straße und Hausnummer').fill('Hauptstraße 1');
	await page.getByLabel('Postleitzahl').fill('50667');
	await page.getByLabel('Ort').fill('Köln');
	await page.getByRole('button', { name: 'Angaben speichern' }).click();
	await expect(page.getByText('Ihre Angaben sind gespeichert.')).toBeVisible();
	await page.getByLabel('Kontoinhaber').fill('Bäckerei Müller GmbH');
	await page.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 00');
	await page.getByRole('button', { name: 'Mandat erteilen' }).click();
	await expect(page.getByText('Ihr SEPA-Lastschriftmandat ist erteilt.')).toBeVisible();
	await expect(page.getByTestId('iban')).toHaveText('DE89 •••• •••• •••• ••30 00');

	// The application, approved through the API as the operator: the day is the API's.
	await nav.getByRole('link', { name: 'Plattformen' }).click();
	const application = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: sparkasse }) });
	await expect(application).toContainText('49,00 € im Monat zzgl. USt.');
	await application.getByRole('button', { name: `Bei ${sparkasse} bewerben` }).click();
	await expect(application).toContainText(`Ihre Bewerbung bei ${sparkasse} ist eingegangen.`);
	const partner = await bearer(request, email, PASSWORD);
	const me = (await (await request.get(`${API}/partners/me`, { headers: partner })).json()) as { id: string };
	const decided = await request.post(`${API}/platforms/${sparkasseId}/applications/${me.id}/decision`, {
		headers: operator,
		data: { decision: 'approve' }
	});
	expect(decided.ok(), await decided.text()).toBe(true);
	const mine = (await (await request.get(`${API}/partners/me/platforms`, { headers: partner })).json()) as {
		applications: { platform_id: string; approved_on?: string }[];
	};
	const today = mine.applications.find((a) => a.platform_id === sparkasseId)?.approved_on ?? '';
	expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
	const slots = (await (
		await request.get(`${API}/platforms/${sparkasseId}/placement-slots`, { headers: partner })
	).json()) as { this_month: string };
	const month = slots.this_month;
	await page.reload();
	await expect(application).toContainText(`Sie nehmen teil seit dem ${german(today)}.`);

	// An offer with two images from the editor, submitted for review.
	await nav.getByRole('link', { name: 'Angebote' }).click();
	await page.getByRole('link', { name: 'Neues Angebot anlegen' }).click();
	await expect(page.getByRole('checkbox', { name: new RegExp(sparkasse) })).toBeChecked();
	await page.getByLabel('Titel', { exact: true }).fill('15 % auf alle Torten');
	await page.getByLabel('Kurztext').fill('Für Kundinnen und Kunden der Sparkasse');
	await page.getByLabel('Beschreibung').fill('Zeigen Sie den Gutschein an der Theke.');
	await page.getByLabel('Rabatt in Prozent').fill('15');
	await page.getByLabel('Im Geschäft einlösbar').check();
	await page.getByLabel('So wird eingelöst').fill('Gutschein an der Kasse zeigen.');
	await page.getByLabel('Gutscheincode').fill('TORTE15');
	await page.getByLabel('Gültig ab').fill(today);
	await page.getByLabel('Gültig bis').fill(addDays(today, 90));
	await page.getByLabel('Essen und Trinken').check();
	await page.getByRole('button', { name: 'Entwurf speichern' }).click();
	await expect(page.getByText('Ihr Entwurf ist gespeichert.')).toBeVisible();
	const offerId = /angebote\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
	expect(offerId).not.toBe('');
	const imageField = page.getByLabel('Bild hinzufügen');
	await imageField.setInputFiles({ name: 'torte.png', mimeType: 'image/png', buffer: WIDE });
	await expect(page.getByRole('img', { name: 'Bild 1 von 1 (im Feed gezeigt)' })).toBeVisible();
	await imageField.setInputFiles({ name: 'kuchen.png', mimeType: 'image/png', buffer: WIDER });
	await expect(page.getByRole('img', { name: 'Bild 2 von 2' })).toBeVisible();
	await page.getByRole('button', { name: 'Zur Prüfung einreichen' }).click();
	await expect(page.getByText('Ihr Angebot ist zur Prüfung eingereicht.')).toBeVisible();
	const approved = await request.post(`${API}/platforms/${sparkasseId}/reviews/${offerId}/decision`, {
		headers: operator,
		data: { decision: 'approve', checks: { lawful: true, real_benefit: true } }
	});
	expect(approved.ok(), await approved.text()).toBe(true);
	await page.reload();
	await expect(page.getByRole('region', { name: 'Auf den Plattformen' })).toContainText(
		`Freigegeben am ${german(today)}`
	);

	// The premium placement for this month: binding at once, said before booking.
	await nav.getByRole('link', { name: 'Platzierungen' }).click();
	const place = page.getByRole('region', { name: sparkasse });
	await expect(place.getByRole('heading', { name: 'Top-Platzierung: 39,00 € im Monat zzgl. USt.' })).toBeVisible();
	await expect(place.getByLabel('Angebot')).toHaveValue(offerId);
	await place.getByLabel('Monat').selectOption(month);
	await expect(place.getByTestId(`buchung-${sparkasseId}`)).toContainText(
		'Eine Buchung für den laufenden Monat ist sofort verbindlich und kann nicht storniert werden.'
	);
	await place.getByRole('button', { name: 'Verbindlich buchen' }).click();
	await expect(
		place.getByText(`Gebucht: „Top-Platzierung“ für „15 % auf alle Torten“ im ${monthName(month)}, 39,00 € zzgl. USt.`)
	).toBeVisible();

	// The platform's public feed, as a visitor sees it: the offer on top, with its first image.
	const visitor = await browser.newContext({ baseURL });
	const feed = await visitor.newPage();
	await feed.goto(`/vorteile/${sparkasseId}`);
	const card = feed.getByRole('listitem').filter({ hasText: '15 % auf alle Torten' });
	await expect(card.getByText('Top-Angebot')).toBeVisible();
	await expect(card).toContainText('Bäckerei Müller GmbH');
	await expect(card).toContainText('15 % Rabatt');
	await expect(card).toContainText(`Gültig bis ${german(addDays(today, 90))}`);
	await expect.poll(() => card.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(2);
	await visitor.close();

	// Cards: the contract, a bonus program, a batch of one card.
	await nav.getByRole('link', { name: 'Karten' }).click();
	await expect(page.getByTestId('bedingungen')).toContainText('9,90 € je Kassenzugang und Monat zzgl. USt.');
	await page.getByRole('button', { name: 'Kartenvertrag verbindlich abschließen' }).click();
	await expect(page.getByTestId('vertrag')).toContainText(`Abgeschlossen am ${german(today)}.`);
	await page.getByRole('link', { name: 'Programme anlegen und Karten bestellen' }).click();
	await page.getByLabel('Name des Programms').fill('Brötchen-Bonus');
	await page.getByLabel('Punkte je 1,00 € Einkauf').fill('1');
	await page.getByRole('button', { name: 'Programm anlegen' }).click();
	const program = page.locator('ul.rows > li').filter({ hasText: 'Brötchen-Bonus' });
	await expect(program).toContainText('Je volle 1,00 € Einkauf gibt es 1 Punkt.');
	await program.getByLabel('Anzahl Karten (1–49)').fill('1');
	await program.getByRole('button', { name: /Karten bestellen/ }).click();
	await expect(program).toContainText('1 Karte ist angelegt.');
	const csv = await request.get(
		(await program.getByRole('link', { name: 'Druckdatei (CSV) herunterladen' }).getAttribute('href')) ?? ''
	);
	expect(csv.status()).toBe(200);
	const cardNumber = ((await csv.text()).trim().split(/\r?\n/)[1] ?? '').split(';')[0]?.replace(/ /g, '') ?? '';
	expect(cardNumber).toMatch(/^\d{16}$/);

	// A terminal user, invited by mail, sets the password and books at the till.
	await page.getByRole('navigation', { name: 'Karten' }).getByRole('link', { name: 'Kassenzugänge' }).click();
	const tillEmail = uniqueEmail('kasse');
	await page.getByLabel('Benutzername').fill('kasse-1');
	await page.getByLabel('Bezeichnung').fill('Kasse Mitte');
	await page.getByLabel('E-Mail-Adresse für die Einladung').fill(tillEmail);
	await page.getByRole('button', { name: 'Einladen' }).click();
	await expect(page.getByRole('status')).toContainText('„Kasse Mitte“ (kasse-1) ist eingeladen');
	const till = await browser.newContext({ baseURL });
	const tillPage = await till.newPage();
	await tillUserBooks(tillPage, await linkMailedTo(request, tillEmail, '/einladung'), me.id, cardNumber);
	await till.close();

	// Referrals: the landing domain verified (local-api's DNS stands in for the partner's DNS
	// host), then a program on it.
	const domain = `rundum-${suffix}.example`;
	await nav.getByRole('link', { name: 'Empfehlungen' }).click();
	await page.getByRole('link', { name: 'Domains' }).click();
	await page.getByLabel('Domain', { exact: true }).fill(domain);
	await page.getByRole('button', { name: 'Domain hinzufügen' }).click();
	await expect(page.getByRole('heading', { name: domain, level: 2 })).toBeVisible();
	const txtValue = (await page.getByRole('definition').nth(2).textContent()) ?? '';
	expect(txtValue).toMatch(/^partnernetz-verification=[0-9a-f]{32}$/);
	const dns = await request.put(`${API}/_dev/dns-records`, { data: { name: `_partnernetz.${domain}`, value: txtValue } });
	expect(dns.ok(), await dns.text()).toBe(true);
	await page.getByRole('button', { name: `Jetzt prüfen (${domain})` }).click();
	await expect(page.getByText(`Geprüft: ${domain} ist bestätigt.`)).toBeVisible();
	await page.getByRole('link', { name: 'Empfehlungen', exact: true }).first().click();
	await page.getByRole('link', { name: 'Neues Programm anlegen' }).click();
	await page.getByLabel('Name des Programms').fill('Freunde werben Freunde');
	await expect(page.getByLabel('Zielseite')).toHaveValue(`https://${domain}/`);
	await page.getByRole('group', { name: 'Prämie 1' }).getByLabel('Höhe in Prozent').fill('10');
	await page.getByLabel('Monatsbudget in Euro').fill('500,00');
	await page.getByRole('button', { name: 'Programm starten' }).click();
	await expect(page.getByRole('heading', { name: 'Freunde werben Freunde', level: 1 })).toBeVisible();
	await expect(page.getByText('Läuft', { exact: true })).toBeVisible();
	await expect(page.getByText('Für einen Einkauf: 10 % des Einkaufswerts')).toBeVisible();

	// The customer account: booked, ten customers, the tier warning before the eleventh.
	await nav.getByRole('link', { name: 'Kundenkonto' }).click();
	const slug = `baeckerei-${suffix}`;
	await page.getByLabel('Ihr Zugangslink').fill(slug);
	await page.getByRole('button', { name: 'Kundenkonto buchen' }).click();
	await expect(page.getByRole('link', { name: new RegExp(`/kundenkonto/${slug}$`) })).toBeVisible();
	await expect(page.getByText('bis 10 Kunden (kostenlos)')).toBeVisible();
	for (let n = 1; n <= 10; n++) {
		await addCustomer(request, partner, `Kundin ${n}`, 'Meier');
	}
	await page.reload();
	await expect(page.getByText('10 Kunden von 10 in Ihrer Stufe')).toBeVisible();
	await inviteCustomer(page, 'Elf', 'Elfer', uniqueEmail('elf'));
	const warning = page.getByRole('group', { name: /Mit dem 11\. Kunden/ });
	await expect(warning).toContainText('in die Stufe „bis 25 Kunden“: 30,00 € im Jahr zzgl. USt. (2,50 € im Monat)');
	await warning.getByRole('button', { name: 'Kosten bestätigen und einladen' }).click();
	await expect(page.getByText(/Die Einladung an Elf Elfer .* ist unterwegs\./)).toBeVisible();
	await expect(page.getByText('11 Kunden von 25 in Ihrer Stufe')).toBeVisible();

	// The operator's billing run for the API's month; the invoice holds this month's
	// placement (the subscription, the terminal user and the new tier are billed from the
	// next month's run on): 39,00 € net, 46,41 € gross.
	const run = await request.post(`${API}/billing/runs`, { headers: operator, data: { period: month } });
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
			{ message: 'the invoice of the month', timeout: 30_000 }
		)
		.toBe(1);

	// The start page with everything running, then the invoice and its PDF.
	await nav.getByRole('link', { name: 'Start' }).click();
	await expect(page.getByText('Alles eingerichtet: Es gibt gerade nichts zu tun.')).toBeVisible();
	await expect(page.getByText(`Top-Platzierung bei ${sparkasse}: 39,00 €`)).toBeVisible();
	await expect(page.getByText('1 Kassenzugang zu je 9,90 € im Monat')).toBeVisible();
	await expect(page.getByText('Stufe bis 25 Kunden (2,50 € im Monat, jährlich im Voraus berechnet); 11 Kunden angelegt.')).toBeVisible();
	await expect(page.getByText(`${number} für`)).toContainText('46,41 €');
	await look(page, 'partner-start-alles-laeuft');
	await nav.getByRole('link', { name: 'Rechnungen' }).click();
	const row = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: `Rechnung ${number}` }) });
	await expect(row).toContainText(monthName(month));
	await expect(row).toContainText('46,41 €');
	await expect(row).toContainText(/per Lastschrift eingezogen/);
	const pdf = await request.get((await row.getByRole('link', { name: /^PDF/ }).getAttribute('href')) ?? '');
	expect(pdf.status()).toBe(200);
	expect(pdf.headers()['content-type']).toBe('application/pdf');
	expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
});
