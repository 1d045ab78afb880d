// A partner's offer from the first draft to its figures, and a premium placement: the
// partner (approved on a platform through the API, as the operator would) creates an offer
// in the editor with its field errors, adds two images and reorders them, previews it,
// submits it (a platform without approval refused at its checkbox), the platform approves it
// through the API, the list shows it live, a revision is shown beside the live version, the
// views and click-outs counted through the feed's public routes appear as chart and table,
// the coupon PDF downloads; then a placement for next month is booked with its price and the
// rule on cancelling said first, and cancelled; at last the offer is withdrawn.
//
// No date comes from this machine's clock: "today" is the day the API approved the partner
// (`approved_on`), the months are the API's (`this_month` of the placement slots), and the
// day of the figures is the one the API counted them on.

import { expect, test, type Page } from '@playwright/test';
import { API, PASSWORD, confirmedPartner, look, uniqueEmail } from './kit';
import { addDays, german, monthName, operatorBearer, platform } from './portal-kit';

/** The last day of the month before `month`. */
function dayBefore(month: string): string {
	return addDays(`${month}-01`, -1);
}

/** Three PNGs told apart by their width: 1, 2 and 3 pixels. */
const WIDE = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAADUlEQVR4nGM4IScHRAAIdwIJkXAbPAAAAABJRU5ErkJggg==',
	'base64'
);
const WIDER = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAMAAAABCAIAAACUgoPjAAAADUlEQVR4nGOQkzsBQQANSAMNU/ueKAAAAABJRU5ErkJggg==',
	'base64'
);

function imageWidth(page: Page, name: string | RegExp) {
	return page.getByRole('img', { name }).evaluate((img: HTMLImageElement) => img.naturalWidth);
}

test('a partner publishes an offer with two images, sees its figures and books a placement', async ({
	page,
	request
}) => {
	test.setTimeout(240_000);
	const operator = await operatorBearer(request);
	const suffix = Date.now().toString(36);
	const sparkasse = `Sparkasse Vorteilswelt ${suffix}`;
	const volksbank = `Volksbank Vorteile ${suffix}`;
	const sparkasseId = await platform(request, operator, sparkasse);
	await platform(request, operator, volksbank);

	// The partner: confirmed, with a mandate, approved on the Sparkasse's platform.
	const email = uniqueEmail('konditorei');
	const partner = { authorization: `Bearer ${await confirmedPartner(request, email)}` };
	const mandate = await request.put(`${API}/partners/me/sepa-mandate`, {
		headers: partner,
		data: { account_holder: 'Bäckerei Müller GmbH', iban: 'DE89370400440532013000' }
	});
	expect(mandate.ok(), await mandate.text()).toBe(true);
	const applied = await request.post(`${API}/partners/me/platforms/${sparkasseId}`, { headers: partner });
	expect(applied.ok(), await applied.text()).toBe(true);
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
	const validTo = addDays(today, 90);

	// Into the portal; the start page's step leads to the offers.
	await page.goto('/partner');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await page.getByRole('link', { name: 'Legen Sie Ihr erstes Angebot an.' }).click();
	await expect(page.getByRole('heading', { name: 'Angebote', level: 1 })).toBeVisible();
	await expect(page.getByText('Sie haben noch kein Angebot angelegt.')).toBeVisible();
	await look(page, 'partner-angebote-leer');

	// The editor: the API's errors at their fields.
	await page.getByRole('link', { name: 'Neues Angebot anlegen' }).click();
	await expect(page.getByRole('heading', { name: 'Neues Angebot', level: 1 })).toBeVisible();
	const sparkasseBox = page.getByRole('checkbox', { name: new RegExp(sparkasse) });
	const volksbankBox = page.getByRole('checkbox', { name: new RegExp(volksbank) });
	await expect(sparkasseBox).toBeChecked();
	await expect(volksbankBox).not.toBeChecked();
	await page.getByLabel('Kurztext').fill('Für Kundinnen und Kunden der Sparkasse');
	await page.getByLabel('Beschreibung').fill('Zeigen Sie den Gutschein an der Theke.\nNicht mit anderen Aktionen kombinierbar.');
	await expect(page.getByLabel('Prozent-Rabatt')).toBeChecked();
	await page.getByLabel('Rabatt in Prozent').fill('15');
	await page.getByLabel('Im Online-Shop einlösbar').check();
	await page.getByLabel('Adresse des Shops').fill('http://shop.baeckerei-mueller.de');
	await page.getByLabel('Gültig ab').fill(today);
	await page.getByLabel('Gültig bis').fill(validTo);
	await page.getByRole('button', { name: 'Entwurf speichern' }).click();
	await expect(page.locator('#feld-title-fehler')).toHaveText('darf nicht leer sein');
	await expect(page.getByLabel('Titel', { exact: true })).toHaveAttribute('aria-invalid', 'true');
	await expect(page.locator('[id="feld-online.shop_url-fehler"]')).toContainText('muss eine https-Adresse sein');
	await expect(page.locator('#feld-categories-fehler')).toHaveText('braucht eine bis drei Kategorien');
	await look(page, 'partner-angebot-fehler');

	await page.getByLabel('Titel', { exact: true }).fill('15 % auf alle Torten');
	await page.getByLabel('Adresse des Shops').fill('https://shop.baeckerei-mueller.de');
	await page.getByLabel('Rabattcode (freiwillig)').fill('TORTE15');
	await page.getByLabel('Im Geschäft einlösbar').check();
	await page.getByLabel('So wird eingelöst').fill('Gutschein an der Kasse zeigen.');
	await page.getByLabel('Gutscheincode').fill('TORTE15');
	await page.getByLabel('Essen und Trinken').check();
	await volksbankBox.check();
	await page.getByRole('button', { name: 'Entwurf speichern' }).click();
	await expect(page).toHaveURL(/\/partner\/angebote\/[0-9a-f-]{36}\?angelegt$/);
	await expect(page.getByText('Ihr Entwurf ist gespeichert.')).toBeVisible();
	const offerId = /angebote\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';

	// Two images, straight to S3; the second moved to the front.
	const imageField = page.getByLabel('Bild hinzufügen');
	await imageField.setInputFiles({ name: 'kein-bild.png', mimeType: 'image/png', buffer: Buffer.from('kein Bild') });
	await expect(page.locator('#feld-bild-fehler')).toHaveText('Die Datei ist kein PNG-Bild. Bitte wählen Sie eine andere Datei.');
	await imageField.setInputFiles({ name: 'torte.png', mimeType: 'image/png', buffer: WIDE });
	await expect(page.getByRole('img', { name: 'Bild 1 von 1 (im Feed gezeigt)' })).toBeVisible();
	await imageField.setInputFiles({ name: 'kuchen.png', mimeType: 'image/png', buffer: WIDER });
	await expect(page.getByRole('img', { name: 'Bild 2 von 2' })).toBeVisible();
	await expect.poll(() => imageWidth(page, 'Bild 1 von 2 (im Feed gezeigt)')).toBe(2);
	await page.getByRole('button', { name: 'Nach vorn (Bild 2)' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Bild 2 ist jetzt Bild 1.' })).toBeAttached();
	await expect.poll(() => imageWidth(page, 'Bild 1 von 2 (im Feed gezeigt)')).toBe(3);
	await expect.poll(() => imageWidth(page, 'Bild 2 von 2')).toBe(2);

	// The preview: the feed's card with the first image.
	const preview = page.getByTestId('vorschau');
	await expect(preview).toContainText('Bäckerei Müller GmbH');
	await expect(preview.getByRole('heading', { name: '15 % auf alle Torten' })).toBeVisible();
	await expect(preview).toContainText('15 % Rabatt');
	await expect(preview).toContainText(`Gültig bis ${german(validTo)}`);
	await expect.poll(() => preview.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(3);
	await look(page, 'partner-angebot-entwurf');

	// Submitting: the platform without approval is refused at its checkbox; without it the
	// offer goes to review (the change saved first).
	await page.getByRole('button', { name: 'Zur Prüfung einreichen' }).click();
	await expect(page.getByText(`Nicht freigeschaltet auf: ${volksbank}. Das Angebot wurde nicht eingereicht.`)).toBeVisible();
	await expect(volksbankBox).toHaveAttribute('aria-invalid', 'true');
	await expect(page.getByText(`Auf ${volksbank} sind Sie nicht als Partner freigeschaltet.`)).toBeVisible();
	await volksbankBox.uncheck();
	await page.getByRole('button', { name: 'Zur Prüfung einreichen' }).click();
	await expect(page.getByText('Ihr Angebot ist zur Prüfung eingereicht.')).toBeVisible();
	const states = page.getByRole('region', { name: 'Auf den Plattformen' });
	await expect(states).toContainText(`Wird geprüft (eingereicht am ${german(today)})`);
	await expect(states.getByRole('heading', { name: volksbank })).toHaveCount(0);
	await look(page, 'partner-angebot-eingereicht');

	// The platform approves it; the list shows it live.
	const approved = await request.post(`${API}/platforms/${sparkasseId}/reviews/${offerId}/decision`, {
		headers: operator,
		data: { decision: 'approve', checks: { lawful: true, real_benefit: true } }
	});
	expect(approved.ok(), await approved.text()).toBe(true);
	await page.getByRole('link', { name: 'Zurück zu allen Angeboten' }).click();
	const row = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: '15 % auf alle Torten' }) });
	await expect(row).toContainText(`${sparkasse}: Freigegeben am ${german(today)} und im Feed sichtbar`);
	await expect(row).toContainText(`15 % Rabatt · gültig ${german(today)} bis ${german(validTo)}`);
	await look(page, 'partner-angebote');

	// A revision: saved, not yet submitted; shown beside the version in the feed.
	await row.getByRole('link', { name: '15 % auf alle Torten' }).click();
	await page.getByLabel('Titel', { exact: true }).fill('20 % auf alle Torten');
	await page.getByLabel('Rabatt in Prozent').fill('20');
	await page.getByRole('button', { name: 'Änderungen speichern' }).click();
	await expect(page.getByText('Ihre Änderungen sind gespeichert. Reichen Sie die Überarbeitung ein')).toBeVisible();
	const revision = page.getByRole('region', { name: `Überarbeitung auf ${sparkasse}` });
	await expect(revision.getByRole('heading', { name: '15 % auf alle Torten' })).toBeVisible();
	await expect(revision.getByRole('heading', { name: '20 % auf alle Torten' })).toBeVisible();
	const compared = revision.getByRole('table', { name: 'Was sich ändert' });
	await expect(compared.getByRole('row', { name: /^Titel/ })).toHaveText(/Titel\s*15 % auf alle Torten\s*20 % auf alle Torten\s*geändert/);
	await expect(compared.getByRole('row', { name: /^Vorteil/ })).toHaveText(/15 % Rabatt\s*20 % Rabatt\s*geändert/);
	await expect(compared.getByRole('row', { name: /^Kurztext/ })).not.toContainText('geändert');
	// The version in the feed shows the image approved first: the wider one, moved ahead.
	const liveImage = revision.locator('.offer-card img').first();
	await liveImage.scrollIntoViewIfNeeded();
	await expect.poll(() => liveImage.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(3);
	await expect(page.getByRole('region', { name: 'Auf den Plattformen' })).toContainText(
		'Ihre Überarbeitung ist noch nicht eingereicht'
	);
	await look(page, 'partner-angebot-ueberarbeitung');
	const feed = (await (await request.get(`${API}/platforms/${sparkasseId}/offers`)).json()) as {
		offers: { offer_id: string; title: string }[];
	};
	expect(feed.offers.find((o) => o.offer_id === offerId)?.title).toBe('15 % auf alle Torten');

	// Figures through the feed's public routes: two views, one click to the shop.
	for (let i = 0; i < 2; i++) {
		const detail = await request.get(`${API}/offers/${offerId}?platform_id=${sparkasseId}`);
		expect(detail.ok(), await detail.text()).toBe(true);
	}
	const click = await request.post(`${API}/offers/${offerId}/click-out`, { data: { platform_id: sparkasseId } });
	expect(click.ok(), await click.text()).toBe(true);
	const stats = (await (await request.get(`${API}/offers/${offerId}/stats`, { headers: partner })).json()) as {
		days: { day: string }[];
	};
	const counted = stats.days[0]?.day ?? '';
	await page.reload();
	const figures = page.getByRole('region', { name: 'Aufrufe und Klicks' });
	await expect(figures).toContainText('Insgesamt 2 Aufrufe und 1 Klick zum Shop.');
	await expect(figures.getByRole('img', { name: /^Aufrufe und Klicks zum Shop je Tag/ })).toHaveAccessibleName(
		`Aufrufe und Klicks zum Shop je Tag, am ${german(counted)}: 2 Aufrufe und 1 Klick zum Shop.`
	);
	const table = figures.getByRole('table', { name: 'Aufrufe und Klicks zum Shop je Tag' });
	await expect(table.getByRole('row', { name: german(counted) }).getByRole('cell')).toHaveText(['2', '1']);
	await expect(table.getByRole('row', { name: /^Zusammen/ }).getByRole('cell')).toHaveText(['2', '1']);
	await look(page, 'partner-angebot-statistik');

	// The coupon as the feed hands it out.
	const coupon = page.getByRole('link', { name: new RegExp(`Gutschein \\(PDF\\) für ${sparkasse}`) });
	const pdf = await request.get((await coupon.getAttribute('href')) ?? '');
	expect(pdf.status()).toBe(200);
	expect(pdf.headers()['content-type']).toBe('application/pdf');
	expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

	// A placement for next month: the months and free slots are the API's.
	const kind = await request.post(`${API}/platforms/${sparkasseId}/placement-kinds`, {
		headers: operator,
		data: { name: 'Top-Platzierung', price_cents: 4900, slots_per_month: 3 }
	});
	expect(kind.status(), await kind.text()).toBe(201);
	const slots = (await (
		await request.get(`${API}/platforms/${sparkasseId}/placement-slots`, { headers: partner })
	).json()) as { this_month: string; kinds: { months: { month: string }[] }[] };
	const next = slots.kinds[0]?.months[1]?.month ?? '';
	expect(next > slots.this_month).toBe(true);

	await page.getByRole('link', { name: `Platzierung buchen auf ${sparkasse}` }).click();
	await expect(page.getByRole('heading', { name: 'Platzierungen', level: 1 })).toBeVisible();
	const rules = page.getByRole('region', { name: 'So funktionieren Platzierungen' });
	await expect(rules).toContainText(
		'Stornieren können Sie kostenlos bis zum letzten Tag vor dem gebuchten Monat. Ab dem 1. des Monats ist die Buchung verbindlich und wird berechnet'
	);
	const place = page.getByRole('region', { name: sparkasse });
	await expect(place.getByRole('heading', { name: 'Top-Platzierung: 49,00 € im Monat zzgl. USt.' })).toBeVisible();
	const free = place.getByRole('list', { name: 'Freie Plätze von Top-Platzierung' });
	await expect(free.getByRole('listitem')).toHaveCount(7);
	await expect(free.getByRole('listitem').nth(1)).toHaveText(`${monthName(next)}: 3 von 3 Plätzen frei`);
	await expect(place.getByLabel('Angebot')).toHaveValue(offerId);
	await place.getByLabel('Monat').selectOption(next);
	await expect(place.getByTestId(`buchung-${sparkasseId}`)).toHaveText(
		`„Top-Platzierung“ auf ${sparkasse} im ${monthName(next)}: 49,00 € zzgl. USt. Stornieren können Sie kostenlos bis einschließlich ${german(dayBefore(next))}.`
	);
	await look(page, 'partner-platzierungen');
	await place.getByRole('button', { name: 'Verbindlich buchen' }).click();
	await expect(place.getByText(`Gebucht: „Top-Platzierung“ für „20 % auf alle Torten“ im ${monthName(next)}, 49,00 € zzgl. USt.`)).toBeVisible();
	await expect(free.getByRole('listitem').nth(1)).toHaveText(`${monthName(next)}: 2 von 3 Plätzen frei`);
	const booked = page
		.getByRole('region', { name: 'Ihre Buchungen' })
		.getByRole('listitem')
		.filter({ has: page.getByRole('heading', { name: `${monthName(next)}: Top-Platzierung` }) });
	await expect(booked).toContainText(`„20 % auf alle Torten“ auf ${sparkasse} · 49,00 € zzgl. USt.`);
	await expect(booked).toContainText(`Gebucht; kostenlos stornierbar bis einschließlich ${german(dayBefore(next))}.`);
	await look(page, 'partner-platzierung-gebucht');

	// Cancelling says what it saves first.
	await booked.getByRole('button', { name: /^Stornieren/ }).click();
	await expect(booked.locator('.confirm')).toHaveText(
		new RegExp(`Wenn Sie jetzt stornieren, wird „Top-Platzierung“ im ${monthName(next)} nicht berechnet \\(49,00 € zzgl\\. USt\\.\\)`)
	);
	await look(page, 'partner-platzierung-stornieren');
	await booked.getByRole('button', { name: 'Stornierung bestätigen' }).click();
	await expect(booked).toContainText(`Storniert am ${german(today)}; wird nicht berechnet.`);
	await expect(free.getByRole('listitem').nth(1)).toHaveText(`${monthName(next)}: 3 von 3 Plätzen frei`);
	const billed = (await (
		await request.get(`${API}/partners/me/placements?month=${next}`, { headers: partner })
	).json()) as { total_cents: number };
	expect(billed.total_cents).toBe(0);

	// Withdrawn: said first, then gone from the feed.
	await page.goto(`/partner/angebote/${offerId}`);
	await page.getByRole('button', { name: 'Angebot zurückziehen' }).click();
	await expect(page.getByText('Zurückziehen nimmt das Angebot sofort aus jedem Feed und jeder Prüfung.')).toBeVisible();
	await page.getByRole('button', { name: 'Zurückziehen bestätigen' }).click();
	await expect(page.getByText('Das Angebot ist zurückgezogen und in keinem Feed mehr zu sehen.')).toBeVisible();
	await expect(page.getByRole('region', { name: 'Auf den Plattformen' })).toContainText('Zurückgezogen, nicht mehr sichtbar');
	const after = (await (await request.get(`${API}/platforms/${sparkasseId}/offers`)).json()) as {
		offers: { offer_id: string }[];
	};
	expect(after.offers.some((o) => o.offer_id === offerId)).toBe(false);
});

test('a long list of offers comes a page at a time', async ({ page, request }) => {
	const email = uniqueEmail('viele-angebote');
	const partner = { authorization: `Bearer ${await confirmedPartner(request, email)}` };
	const operator = await operatorBearer(request);
	const platformId = await platform(request, operator, `Volksbank Liste ${Date.now().toString(36)}`);
	// A validity the API takes whatever today is: from the first of its month (`this_month`)
	// to the 28th of the next.
	const slots = (await (
		await request.get(`${API}/platforms/${platformId}/placement-slots`, { headers: partner })
	).json()) as { this_month: string };
	const [y, m] = slots.this_month.split('-').map(Number) as [number, number];
	const nextMonth = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 7);
	for (let i = 1; i <= 23; i++) {
		const reply = await request.post(`${API}/offers`, {
			headers: partner,
			data: {
				title: `Angebot ${i}`,
				teaser: 'Kurz',
				description: 'Lang',
				benefit: { kind: 'percent', value: i },
				in_store: { instructions: 'An der Kasse zeigen.', coupon_code: `CODE${i}` },
				valid_from: `${slots.this_month}-01`,
				valid_to: `${nextMonth}-28`,
				categories: ['essen'],
				platforms: [platformId]
			}
		});
		expect(reply.status(), await reply.text()).toBe(201);
	}
	const listed: string[] = [];
	page.on('request', (r) => {
		if (r.url().includes('/partners/me/offers?')) listed.push(r.url());
	});
	await page.goto('/partner/angebote');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	const titles = page.locator('ul.rows > li h2');
	await expect(titles).toHaveCount(20);
	await expect(titles.first()).toHaveText('Angebot 23');
	await page.getByRole('button', { name: 'Weitere Angebote laden' }).click();
	await expect(titles).toHaveCount(23);
	await expect(titles.last()).toHaveText('Angebot 1');
	await expect(page.getByRole('button', { name: 'Weitere Angebote laden' })).toBeHidden();
	expect(listed.map((u) => new URL(u).searchParams.get('limit'))).toEqual(['20', '20']);
	expect(new URL(listed[1] ?? '').searchParams.get('cursor')).toBeTruthy();
});
