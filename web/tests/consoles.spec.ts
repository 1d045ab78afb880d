// The consoles of the operator and of a bank platform's manager, end to end: the operator
// creates a platform with a placement kind and invites its manager; the manager sets a
// password from the mail, gets the morning's digest and opens the queue from it, approves two
// applications and an offer that then shows in the platform's feed, rejects another offer
// with a reason the partner reads in the portal, takes a live offer down and suspends and
// reinstates a partner; the operator runs the month's billing in the console, sees a partner
// fail for a missing address, retries it once the address is there, and downloads the SEPA
// file and an invoice.
//
// No date comes from this machine's clock: the day is the one the API approved on.

import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { API, PASSWORD, confirmedPartner, linkMailedTo, look, uniqueEmail } from './kit';
import {
	OPERATOR_EMAIL,
	OPERATOR_PASSWORD,
	addDays,
	bearer,
	logIn,
	monthName,
	operatorBearer,
	type Headers
} from './portal-kit';

const IBAN = 'DE89370400440532013000';

/** A partner confirmed through the API, with its company's name and a mandate, applied to
 *  the platform; with an address only when `address` is set. */
async function applicant(
	request: APIRequestContext,
	company: string,
	platformId: string,
	address: boolean
): Promise<{ email: string; headers: Headers; id: string }> {
	const email = uniqueEmail('partner');
	const headers = { authorization: `Bearer ${await confirmedPartner(request, email)}` };
	const patch = await request.patch(`${API}/partners/me`, {
		headers,
		data: address ? { company, address: ADDRESS } : { company }
	});
	expect(patch.ok(), await patch.text()).toBe(true);
	const mandate = await request.put(`${API}/partners/me/sepa-mandate`, {
		headers,
		data: { account_holder: company, iban: IBAN }
	});
	expect(mandate.ok(), await mandate.text()).toBe(true);
	const applied = await request.post(`${API}/partners/me/platforms/${platformId}`, { headers });
	expect(applied.ok(), await applied.text()).toBe(true);
	const me = (await (await request.get(`${API}/partners/me`, { headers })).json()) as { id: string };
	return { email, headers, id: me.id };
}

const ADDRESS = { street: 'Marktplatz 1', postal_code: '20095', city: 'Hamburg', country: 'DE' };

/** An offer on the platform, submitted for review: its id. */
async function submittedOffer(
	request: APIRequestContext,
	partner: Headers,
	platformId: string,
	title: string,
	today: string
): Promise<string> {
	const created = await request.post(`${API}/offers`, {
		headers: partner,
		data: {
			title,
			teaser: 'Für Kundinnen und Kunden der Volksbank',
			description: 'Zeigen Sie den Gutschein an der Theke.',
			benefit: { kind: 'percent', value: 15 },
			in_store: { instructions: 'Gutschein an der Kasse zeigen.', coupon_code: 'VB15' },
			valid_from: today,
			valid_to: addDays(today, 60),
			categories: ['essen'],
			platforms: [platformId]
		}
	});
	expect(created.status(), await created.text()).toBe(201);
	const offerId = ((await created.json()) as { offer_id: string }).offer_id;
	const submitted = await request.post(`${API}/offers/${offerId}/submit`, { headers: partner });
	expect(submitted.ok(), await submitted.text()).toBe(true);
	return offerId;
}

/** A row of a list, found by its heading. */
function row(page: Page, heading: string | RegExp) {
	return page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: heading }) });
}

test('the operator sets up a platform, its manager decides, and the month is billed in the console', async ({
	page,
	browser,
	request
}) => {
	test.setTimeout(300_000);
	const suffix = Date.now().toString(36);
	const platformName = `Volksbank Vorteilsclub ${suffix}`;
	const managerEmail = uniqueEmail('manager');

	// The operator's console: a new platform, its placement kind and its manager.
	await page.goto('/betreiber');
	await expect(page).toHaveURL(/\/betreiber\/anmelden\?weiter=\/betreiber$/);
	await look(page, 'betreiber-anmelden');
	await logIn(page, OPERATOR_EMAIL, OPERATOR_PASSWORD);
	await expect(page.getByRole('heading', { name: 'Plattformen', level: 1 })).toBeVisible();
	await page.getByLabel('Name der Plattform').fill(platformName);
	await page.getByLabel('Monatsgebühr je Partner in Euro (netto)').fill('29');
	await page.getByRole('button', { name: 'Plattform anlegen' }).click();
	await expect(page.getByText(`Die Plattform „${platformName}“ ist angelegt (29,00 € im Monat).`)).toBeVisible();
	await look(page, 'betreiber-plattformen');
	await page.getByRole('link', { name: platformName }).click();
	await expect(page.getByRole('heading', { name: platformName, level: 1 })).toBeVisible();
	const platformId = /plattformen\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
	await page.getByLabel('Name der Platzierungsart').fill('Top-Platzierung');
	await page.getByLabel('Preis je Monat in Euro (netto)').fill('abc');
	await page.getByRole('button', { name: 'Platzierungsart anlegen' }).click();
	await expect(page.locator('#feld-price_cents-fehler')).toContainText('Bitte geben Sie den Preis in Euro an');
	await page.getByLabel('Preis je Monat in Euro (netto)').fill('39,00');
	await page.getByLabel('Plätze je Monat').fill('2');
	await page.getByRole('button', { name: 'Platzierungsart anlegen' }).click();
	await expect(page.getByText('„Top-Platzierung“ ist buchbar.')).toBeVisible();
	await expect(row(page, 'Top-Platzierung')).toContainText('39,00 € netto im Monat · 2 Plätze je Monat');
	await page.getByLabel('Name des Managers').fill('Max Manager');
	await page.getByLabel('E-Mail-Adresse').fill(managerEmail);
	await page.getByRole('button', { name: 'Einladen' }).click();
	await expect(page.getByText(`${managerEmail} ist eingeladen`)).toBeVisible();
	await look(page, 'betreiber-plattform');

	// Two partners apply; one has no address yet.
	const konditorei = await applicant(request, `Konditorei Sonnenschein ${suffix}`, platformId, true);
	const metzgerei = await applicant(request, `Metzgerei Schmidt ${suffix}`, platformId, false);

	// The manager: the password from the invitation; the page leads on to the console's login.
	const managerContext = await browser.newContext({ baseURL: test.info().project.use.baseURL });
	const manager = await managerContext.newPage();
	await manager.goto(await linkMailedTo(request, managerEmail, '/einladung'));
	await manager.getByLabel('Neues Passwort').fill(PASSWORD);
	await manager.getByLabel('Passwort wiederholen').fill(PASSWORD);
	await manager.getByRole('button', { name: 'Passwort festlegen' }).click();
	await manager.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await expect(manager).toHaveURL(/\/plattform\/anmelden$/);
	await look(manager, 'plattform-anmelden');

	// The morning's digest names what waits and links to the platform's queue.
	const digest = await request.post(`${API}/_dev/manager-digest`);
	expect(digest.ok(), await digest.text()).toBe(true);
	const outbox = (await (await request.get(`${API}/_dev/outbox`)).json()) as {
		mails: { to: string; subject: string; text: string }[];
	};
	const digestMail = outbox.mails.filter((m) => m.to === managerEmail).pop();
	expect(digestMail?.subject).toBe('2 Vorgänge warten auf Ihre Prüfung');
	expect(digestMail?.text).toContain(`Konditorei Sonnenschein ${suffix}`);
	expect(digestMail?.text).toContain(`Metzgerei Schmidt ${suffix}`);
	await manager.goto(await linkMailedTo(request, managerEmail, `/plattform/${platformId}`));
	await expect(manager).toHaveURL(/\/plattform\/anmelden\?weiter=/);
	await logIn(manager, managerEmail);
	await expect(manager).toHaveURL(new RegExp(`/plattform/${platformId}$`));
	await expect(manager.getByRole('heading', { name: platformName, level: 1 })).toBeVisible();
	const applications = manager.getByRole('region', { name: /Anträge/ });
	await expect(applications.getByRole('listitem')).toHaveCount(2);
	await expect(applications.getByRole('listitem').first()).toContainText(`Konditorei Sonnenschein ${suffix}`);
	await expect(applications.getByRole('listitem').first()).toContainText('Wartet seit heute');
	await look(manager, 'plattform-uebersicht');

	// Both applications approved; the first one's page shows the company's data.
	for (const partner of [konditorei, metzgerei]) {
		await applications.getByRole('link', { name: new RegExp(suffix) }).first().click();
		await expect(manager.getByRole('heading', { name: /^Antrag von / })).toBeVisible();
		if (partner === konditorei) {
			await expect(manager.locator('dl.facts')).toContainText(konditorei.email);
			await expect(manager.locator('dl.facts')).toContainText('Marktplatz 1, 20095 Hamburg');
			await look(manager, 'plattform-antrag');
		}
		await manager.getByRole('button', { name: 'Freigeben' }).click();
		await expect(manager.getByText(/^Freigegeben\. Der Partner ist benachrichtigt/)).toBeVisible();
		await manager.getByRole('link', { name: 'Zur Übersicht' }).last().click();
	}
	await expect(manager.getByText('Kein Antrag wartet.')).toBeVisible();

	// The day the API approved on, for the offers and the month.
	const mine = (await (await request.get(`${API}/partners/me/platforms`, { headers: konditorei.headers })).json()) as {
		applications: { platform_id: string; approved_on?: string }[];
	};
	const today = mine.applications.find((a) => a.platform_id === platformId)?.approved_on ?? '';
	expect(today).toMatch(/^\d{4}-\d{2}-\d{2}$/);
	const month = today.slice(0, 7);

	// Two offers of the konditorei wait: one approved after both checks, one rejected with a reason.
	const torten = await submittedOffer(request, konditorei.headers, platformId, `Torten ${suffix}`, today);
	await submittedOffer(request, konditorei.headers, platformId, `Gratis-Kaffee ${suffix}`, today);
	await manager.reload();
	const reviews = manager.getByRole('region', { name: /Angebote zur Prüfung/ });
	await expect(reviews.getByRole('listitem')).toHaveCount(2);
	await reviews.getByRole('link', { name: `Torten ${suffix}` }).click();
	await expect(manager.getByRole('heading', { name: `Prüfung: Torten ${suffix}` })).toBeVisible();
	await expect(manager.getByRole('heading', { name: `Torten ${suffix}`, level: 3 })).toBeVisible();
	await expect(manager.locator('dl.facts')).toContainText('15 % Rabatt');
	await look(manager, 'plattform-pruefung');
	await manager.getByRole('button', { name: 'Freigeben' }).click();
	await expect(manager.getByRole('alert')).toContainText('bestätigen Sie bitte beide Prüfungen');
	await manager.getByLabel('Das Angebot ist rechtlich zulässig.').check();
	await manager.getByLabel('Es bietet der Community einen echten Vorteil.').check();
	await manager.getByRole('button', { name: 'Freigeben' }).click();
	await expect(manager.getByText('Freigegeben. Das Angebot steht jetzt im Feed Ihrer Plattform.')).toBeVisible();
	await manager.getByRole('link', { name: 'Zur Übersicht' }).last().click();
	await reviews.getByRole('link', { name: `Gratis-Kaffee ${suffix}` }).click();
	await manager.getByRole('button', { name: 'Ablehnen' }).click();
	await expect(manager.locator('#feld-reason-fehler')).toContainText('Bitte nennen Sie den Grund');
	const reason = 'Ein Gratis-Kaffee beim Kauf eines Kaffees ist kein echter Vorteil.';
	await manager.getByLabel('Begründung für den Partner').fill(reason);
	await manager.getByRole('button', { name: 'Ablehnen' }).click();
	await expect(manager.getByText(/^Abgelehnt\. Der Partner liest Ihre Begründung/)).toBeVisible();
	await manager.getByRole('link', { name: 'Zur Übersicht' }).last().click();
	await expect(manager.getByText('Kein Angebot wartet.')).toBeVisible();

	// The approved offer in the platform's feed, as end customers see it.
	await manager.getByRole('navigation', { name: 'Plattform-Konsole' }).getByRole('link', { name: 'Feed ansehen' }).click();
	await expect(manager.getByRole('heading', { name: `Torten ${suffix}` })).toBeVisible();
	await expect(manager.getByText(`Gratis-Kaffee ${suffix}`)).toHaveCount(0);

	// The konditorei reads the reason in the portal.
	const konditoreiContext = await browser.newContext({ baseURL: test.info().project.use.baseURL });
	const konditoreiPage = await konditoreiContext.newPage();
	await konditoreiPage.goto('/partner/angebote');
	await logIn(konditoreiPage, konditorei.email);
	await expect(row(konditoreiPage, `Gratis-Kaffee ${suffix}`)).toContainText(`Begründung: ${reason}`);
	await expect(row(konditoreiPage, `Torten ${suffix}`)).toContainText('Freigegeben');
	await konditoreiContext.close();

	// Placements this month for both partners (the butcher's offer approved through the API),
	// so that both have something due in the month's run.
	const operator = await operatorBearer(request);
	const wurst = await submittedOffer(request, metzgerei.headers, platformId, `Wurst ${suffix}`, today);
	const approved = await request.post(`${API}/platforms/${platformId}/reviews/${wurst}/decision`, {
		headers: operator,
		data: { decision: 'approve', checks: { lawful: true, real_benefit: true } }
	});
	expect(approved.ok(), await approved.text()).toBe(true);
	const kinds = (await (
		await request.get(`${API}/platforms/${platformId}/placement-kinds`, { headers: operator })
	).json()) as { kinds: { kind_id: string }[] };
	const kindId = kinds.kinds[0]?.kind_id ?? '';
	for (const [partner, offerId] of [
		[konditorei, torten],
		[metzgerei, wurst]
	] as const) {
		const placed = await request.post(`${API}/offers/${offerId}/placements`, {
			headers: partner.headers,
			data: { platform_id: platformId, kind_id: kindId, month }
		});
		expect(placed.ok(), await placed.text()).toBe(true);
	}

	// The manager takes the cakes down: out of the feed at once, the reason in the portal.
	const consoleNav = manager.getByRole('navigation', { name: 'Plattform-Konsole' });
	await manager.goto(`/plattform/${platformId}`);
	await consoleNav.getByRole('link', { name: 'Angebote im Feed' }).click();
	const cakes = manager.getByRole('listitem').filter({ hasText: `Torten ${suffix}` });
	await cakes.getByRole('button', { name: 'Herausnehmen …' }).click();
	await cakes.getByRole('button', { name: 'Angebot herausnehmen' }).click();
	await expect(cakes.getByText('Bitte nennen Sie den Grund')).toBeVisible();
	const takeDownReason = 'Die Torten sind nicht mehr im Sortiment, wie Kunden uns melden.';
	await cakes.getByLabel('Grund (der Partner liest ihn)').fill(takeDownReason);
	await look(manager, 'plattform-angebote-herausnehmen');
	await cakes.getByRole('button', { name: 'Angebot herausnehmen' }).click();
	await expect(manager.getByText(`„Torten ${suffix}“ ist aus dem Feed genommen`)).toBeVisible();
	await expect(cakes).toHaveCount(0);
	const feed = (await (await request.get(`${API}/platforms/${platformId}/offers`)).json()) as {
		offers: { title: string }[];
	};
	expect(feed.offers.map((o) => o.title)).not.toContain(`Torten ${suffix}`);
	const konditoreiAgain = await browser.newContext({ baseURL: test.info().project.use.baseURL });
	const portal = await konditoreiAgain.newPage();
	await portal.goto('/partner/angebote');
	await logIn(portal, konditorei.email);
	await expect(row(portal, `Torten ${suffix}`)).toContainText('Vom Plattform-Manager aus dem Feed genommen');
	await expect(row(portal, `Torten ${suffix}`)).toContainText(`Begründung: ${takeDownReason}`);
	await konditoreiAgain.close();

	// The butcher suspended on the platform, then reinstated.
	await consoleNav.getByRole('link', { name: 'Partner' }).click();
	const butcher = row(manager, `Metzgerei Schmidt ${suffix}`);
	await butcher.getByRole('button', { name: 'Sperren …' }).click();
	await butcher.getByLabel('Grund der Sperre (der Partner liest ihn)').fill('Bitte klären Sie die offenen Kundenbeschwerden mit uns.');
	await butcher.getByRole('button', { name: 'Partner sperren' }).click();
	await expect(butcher).toContainText('Gesperrt seit');
	await look(manager, 'plattform-partner');
	await butcher.getByRole('button', { name: 'Sperre aufheben' }).click();
	await expect(manager.getByText(`Metzgerei Schmidt ${suffix} nimmt wieder teil`)).toBeVisible();

	// The operator bills the month in the console: the butcher fails for the missing address.
	const nav = page.getByRole('navigation', { name: 'Betreiber-Konsole' });
	await nav.getByRole('link', { name: 'Abrechnung' }).click();
	await expect(page.getByRole('heading', { name: 'Abrechnung', level: 1 })).toBeVisible();
	await page.getByLabel('Monat', { exact: true }).selectOption(month);
	await page.getByRole('button', { name: 'Abrechnung starten …' }).click();
	await expect(page.getByRole('alertdialog')).toContainText(`Die Abrechnung für ${monthName(month)} jetzt starten?`);
	await look(page, 'betreiber-abrechnung-bestaetigen');
	await page.getByRole('button', { name: `Ja, ${monthName(month)} abrechnen` }).click();
	await expect(page.getByRole('heading', { name: `Abrechnung ${monthName(month)}`, level: 1 })).toBeVisible();
	const failures = page.getByRole('region', { name: /Fehlgeschlagen/ });
	const butcherFailure = failures.getByRole('listitem').filter({ hasText: `Metzgerei Schmidt ${suffix}` });
	await expect(butcherFailure).toContainText('Anschrift des Partners fehlt', { timeout: 30_000 });
	const invoices = page.getByRole('region', { name: /Rechnungen/ });
	await expect(invoices.getByRole('listitem').filter({ hasText: `Konditorei Sonnenschein ${suffix}` })).toContainText(
		'46,41 € brutto'
	);
	await look(page, 'betreiber-abrechnung-lauf');

	// The address given, the retry bills the butcher too.
	const patched = await request.patch(`${API}/partners/me`, {
		headers: await bearer(request, metzgerei.email, PASSWORD),
		data: { address: ADDRESS }
	});
	expect(patched.ok(), await patched.text()).toBe(true);
	await failures.getByRole('button', { name: 'Erneut versuchen' }).click();
	await expect(page.getByText(/erneut abgerechnet\./)).toBeVisible();
	await expect(invoices.getByRole('listitem').filter({ hasText: `Metzgerei Schmidt ${suffix}` })).toContainText(
		'46,41 € brutto',
		{ timeout: 30_000 }
	);
	await expect(butcherFailure).toHaveCount(0);

	// The SEPA file and an invoice, downloaded.
	await page.getByRole('button', { name: 'SEPA-Dateien abrufen' }).click();
	const file = page.getByRole('link', { name: /^LS-\d{4}-\d{2}-\d+\.xml herunterladen$/ }).first();
	await expect(file).toBeVisible();
	const xml = await request.get((await file.getAttribute('href')) ?? '');
	expect(xml.status()).toBe(200);
	expect(await xml.text()).toContain('urn:iso:std:iso:20022:tech:xsd:pain.008.001.08');
	const konditoreiInvoice = invoices.getByRole('listitem').filter({ hasText: `Konditorei Sonnenschein ${suffix}` });
	const pdf = await request.get((await konditoreiInvoice.getByRole('link', { name: 'PDF' }).getAttribute('href')) ?? '');
	expect(pdf.headers()['content-type']).toBe('application/pdf');
	await look(page, 'betreiber-abrechnung-sepa');

	// The operator finds the butcher, sees its platform and invoice, and raises the platform's
	// fee from next month; the manager is listed with the account set up.
	await nav.getByRole('link', { name: 'Partner' }).click();
	await page.getByLabel('Firma oder E-Mail-Adresse').fill(`metzgerei schmidt ${suffix}`);
	await page.getByRole('button', { name: 'Suchen' }).click();
	await expect(page.getByRole('heading', { level: 2 })).toHaveText([`Metzgerei Schmidt ${suffix}`]);
	await page.getByRole('link', { name: `Metzgerei Schmidt ${suffix}` }).click();
	await expect(page.locator('dl.facts')).toContainText('Marktplatz 1, 20095 Hamburg');
	await expect(row(page, platformName)).toContainText('Angebote sichtbar');
	const butcherInvoice = page.getByRole('region', { name: /Rechnungen/ }).getByRole('listitem').first();
	await expect(butcherInvoice).toContainText('46,41 € brutto');
	await expect(butcherInvoice).toContainText(/Lastschrift in LS-\d{4}-\d{2}-\d+/);
	await look(page, 'betreiber-partner');
	await nav.getByRole('link', { name: 'Plattformen' }).click();
	await page.getByRole('link', { name: platformName }).click();
	const next = nextMonth(month);
	await page.getByLabel('Neue Gebühr ab').selectOption(next);
	await page.getByLabel('Neue Monatsgebühr in Euro (netto)').fill('39');
	await page.getByRole('button', { name: 'Gebühr ändern' }).click();
	await expect(page.getByText(`Ab ${monthName(next)} beträgt die Monatsgebühr 39,00 €.`)).toBeVisible();
	await expect(page.getByText(`Ab ${monthName(next)}: 39,00 €`)).toBeVisible();
	await expect(row(page, 'Max Manager')).toContainText('Zugang eingerichtet');
	await look(page, 'betreiber-plattform-gebuehr');

	// The manager's figures.
	await manager.goto(`/plattform/${platformId}/statistik`);
	await expect(manager.getByRole('heading', { name: 'Statistik', level: 1 })).toBeVisible();
	await expect(manager.getByRole('table', { name: 'Aufrufe und Klicks zum Shop je Tag' })).toBeVisible();
	await look(manager, 'plattform-statistik');
	await managerContext.close();
});

/** The month after `YYYY-MM`. */
function nextMonth(month: string): string {
	const [year, m] = month.split('-').map(Number) as [number, number];
	return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
}
