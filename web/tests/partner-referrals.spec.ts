// A partner's referrals from the landing domain to the figures: the partner (confirmed, with
// a mandate, approved on a platform through the API as the operator would) adds a landing
// domain, sees the TXT record to create, is told it is not there yet, creates it (local-api's
// DNS takes it through `PUT /_dev/dns-records`, as the partner's DNS host would) and has it
// verified; creates a program with two rewards and a monthly budget (the form's errors at
// their fields first), pauses and resumes it; creates an API key, shown once and copied to
// the clipboard, then only its prefix; an end user joins the program, a friend clicks the
// link and the shop reports a purchase with the key; the key is revoked (the shop's next
// report refused); the program's page shows the click and the conversion per day as chart and
// table; at last the program is ended.
//
// No date comes from this machine's clock: the day of the figures is the API's (`to` of the
// program's statistics).

import { expect, test, type APIRequestContext } from '@playwright/test';
import { API, PASSWORD, confirmedPartner, linkMailedTo, look, uniqueEmail } from './kit';
import { OPERATOR_EMAIL, OPERATOR_PASSWORD, addDays, german, type Headers } from './portal-kit';

const CHROME =
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

async function bearer(request: APIRequestContext, data: object): Promise<Headers> {
	const reply = await request.post(`${API}/auth/login`, { data });
	expect(reply.status(), await reply.text()).toBe(200);
	const { access_token } = (await reply.json()) as { access_token: string };
	return { authorization: `Bearer ${access_token}` };
}

/** A partner with a mandate, approved on a new platform: its address, bearer and platform. */
async function approvedPartner(
	request: APIRequestContext
): Promise<{ email: string; partner: Headers; platform: string }> {
	const operator = await bearer(request, { login: OPERATOR_EMAIL, password: OPERATOR_PASSWORD, scope: 'platform' });
	const created = await request.post(`${API}/platforms`, {
		headers: operator,
		data: { name: `Sparkasse Vorteilswelt ${Date.now().toString(36)}`, monthly_fee_cents: 4900 }
	});
	expect(created.status(), await created.text()).toBe(201);
	const platform = ((await created.json()) as { id: string }).id;
	const email = uniqueEmail('empfehlung');
	const partner = { authorization: `Bearer ${await confirmedPartner(request, email)}` };
	const mandate = await request.put(`${API}/partners/me/sepa-mandate`, {
		headers: partner,
		data: { account_holder: 'Bäckerei Müller GmbH', iban: 'DE89370400440532013000' }
	});
	expect(mandate.ok(), await mandate.text()).toBe(true);
	const applied = await request.post(`${API}/partners/me/platforms/${platform}`, { headers: partner });
	expect(applied.ok(), await applied.text()).toBe(true);
	const me = (await (await request.get(`${API}/partners/me`, { headers: partner })).json()) as { id: string };
	const decided = await request.post(`${API}/platforms/${platform}/applications/${me.id}/decision`, {
		headers: operator,
		data: { decision: 'approve' }
	});
	expect(decided.ok(), await decided.text()).toBe(true);
	return { email, partner, platform };
}

/** An end user of the platform who joined the program: its personal link's code. */
async function referrer(request: APIRequestContext, platform: string, program: string): Promise<string> {
	const email = uniqueEmail('erika');
	const signedUp = await request.post(`${API}/platforms/${platform}/endusers`, {
		data: { email, name: 'Erika Mustermann', accept_terms: true }
	});
	expect(signedUp.status(), await signedUp.text()).toBe(202);
	const link = await linkMailedTo(request, email, '/einladung');
	const accepted = await request.post(`${API}/auth/invitations/accept`, {
		data: { token: new URL(link).searchParams.get('token'), password: PASSWORD }
	});
	expect(accepted.ok(), await accepted.text()).toBe(true);
	const enduser = await bearer(request, { login: email, password: PASSWORD, scope: 'enduser', tenant: platform });
	const joined = await request.post(`${API}/me/referrals`, { headers: enduser, data: { program_id: program } });
	expect(joined.ok(), await joined.text()).toBe(true);
	return ((await joined.json()) as { code: string }).code;
}

test('a partner verifies a landing domain, runs a referral program with an API key and sees its figures', async ({
	page,
	request,
	context
}) => {
	test.setTimeout(180_000);
	const { email, partner, platform } = await approvedPartner(request);
	const domain = `baeckerei-${Date.now().toString(36)}.example`;

	// Into the portal; the section is linked from the menu.
	await page.goto('/partner');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await page.getByRole('navigation', { name: 'Partnerbereich' }).getByRole('link', { name: 'Empfehlungen' }).click();
	await expect(page.getByRole('heading', { name: 'Empfehlungen', level: 1 })).toBeVisible();
	await expect(page.getByText('Noch keine Domain hinterlegt.')).toBeVisible();
	await expect(page.getByText('Sie haben noch kein Empfehlungsprogramm.')).toBeVisible();
	await expect(page.getByRole('link', { name: 'Programm anlegen' })).toHaveCount(0);
	await look(page, 'partner-empfehlungen-leer');

	// The landing domain: a typo said at the field, then the TXT record to create.
	await page.getByRole('link', { name: 'Domains' }).click();
	await expect(page.getByRole('heading', { name: 'Domains Ihrer Zielseiten', level: 1 })).toBeVisible();
	await page.getByLabel('Domain', { exact: true }).fill('baeckerei mueller');
	await page.getByRole('button', { name: 'Domain hinzufügen' }).click();
	await expect(page.locator('#feld-domain-fehler')).toHaveText('Bitte geben Sie einen Domainnamen an, z. B. baeckerei-mueller.de.');
	await page.getByLabel('Domain', { exact: true }).fill(`https://${domain.toUpperCase()}/`);
	await page.getByRole('button', { name: 'Domain hinzufügen' }).click();
	await expect(page.getByRole('heading', { name: domain, level: 2 })).toBeVisible();
	await expect(page.getByText('Noch nicht bestätigt')).toBeVisible();
	const record = page.getByRole('definition');
	await expect(record.nth(0)).toHaveText('TXT');
	await expect(record.nth(1)).toHaveText(`_partnernetz.${domain}`);
	await expect(record.nth(2)).toHaveText(/^partnernetz-verification=[0-9a-f]{32}$/);
	const txtValue = (await record.nth(2).textContent()) ?? '';

	// Checked before the record exists: said in German, with the record named.
	await page.getByRole('button', { name: `Jetzt prüfen (${domain})` }).click();
	await expect(page.getByRole('alert')).toContainText('Wir haben den DNS-Eintrag nicht gefunden');
	await expect(page.getByRole('alert')).toContainText(txtValue);
	await look(page, 'partner-empfehlungen-domains');

	// The partner creates the record exactly as shown (local-api's DNS stands in for the
	// partner's DNS host) and checks again.
	const dns = await request.put(`${API}/_dev/dns-records`, { data: { name: `_partnernetz.${domain}`, value: txtValue } });
	expect(dns.ok(), await dns.text()).toBe(true);
	await page.getByRole('button', { name: `Jetzt prüfen (${domain})` }).click();
	await expect(page.getByText(`Geprüft: ${domain} ist bestätigt.`)).toBeVisible();
	await expect(page.getByText(/^Bestätigt am \d{2}\.\d{2}\.\d{4}: Ihre Zielseiten/)).toBeVisible();
	await expect(page.getByRole('button', { name: /Jetzt prüfen/ })).toHaveCount(0);
	await look(page, 'partner-empfehlungen-domain-bestaetigt');

	// The program: errors at their fields first.
	await page.getByRole('link', { name: 'Empfehlungen', exact: true }).first().click();
	await expect(page.getByText(`Bestätigt: ${domain}.`)).toBeVisible();
	await page.getByRole('link', { name: 'Neues Programm anlegen' }).click();
	await expect(page.getByRole('heading', { name: 'Neues Empfehlungsprogramm', level: 1 })).toBeVisible();
	await expect(page.getByLabel('Zielseite')).toHaveValue(`https://${domain}/`);
	const first = page.getByRole('group', { name: 'Prämie 1' });
	await first.getByLabel('Wofür').selectOption('purchase');
	await first.getByLabel('Art der Prämie').selectOption('percent');
	await first.getByLabel('Höhe in Prozent').fill('10');
	await page.getByRole('button', { name: 'Programm starten' }).click();
	await expect(page.locator('#feld-monthly_budget_cents-fehler')).toHaveText(
		'Bitte geben Sie das Monatsbudget in Euro an, z. B. 500,00.'
	);
	await expect(page.getByLabel('Monatsbudget in Euro')).toBeFocused();
	await page.getByLabel('Monatsbudget in Euro').fill('500,00');
	await expect(page.getByText('Höchstens 500,00 € Geldprämien je Kalendermonat')).toBeVisible();
	await page.getByLabel('Zielseite').fill('https://www.example.org/aktion');
	await page.getByRole('button', { name: 'Programm starten' }).click();
	await expect(page.locator('#feld-name-fehler')).toHaveText('darf nicht leer sein');
	await expect(page.locator('#feld-landing_url-fehler')).toHaveText(
		'muss auf einer Ihrer bestätigten Domains liegen (siehe „Domains“).'
	);
	await look(page, 'partner-empfehlungen-programm-fehler');

	await page.getByLabel('Name des Programms').fill('Freunde werben Freunde');
	await page.getByLabel('Zielseite').fill(`https://shop.${domain}/aktion`);
	await page.getByRole('button', { name: 'Weitere Prämie' }).click();
	const second = page.getByRole('group', { name: 'Prämie 2' });
	await second.getByLabel('Wofür').selectOption('signup');
	await second.getByLabel('Art der Prämie').selectOption('fixed');
	await second.getByLabel('Betrag in Euro').fill('5');
	await page.getByLabel('Wartezeit in Tagen').fill('14');
	await expect(page.getByText('Wartezeit 14 Tage: So lange bleibt eine Prämie vorgemerkt.')).toBeVisible();
	await expect(page.getByText('höchstens 30 Tage nach dem Klick auf den Empfehlungslink')).toBeVisible();
	await page.getByRole('button', { name: 'Programm starten' }).click();

	// The program's page: what it pays and on what terms, in plain German.
	await expect(page.getByRole('heading', { name: 'Freunde werben Freunde', level: 1 })).toBeVisible();
	const programId = page.url().split('/').pop() ?? '';
	await expect(page.getByText('Läuft', { exact: true })).toBeVisible();
	await expect(page.getByText('Für einen Einkauf: 10 % des Einkaufswerts')).toBeVisible();
	await expect(page.getByText('Für eine Anmeldung: 5,00 €')).toBeVisible();
	await expect(page.getByText('Höchstens 500,00 € Geldprämien je Kalendermonat')).toBeVisible();
	await expect(page.getByText(/^Wartezeit 14 Tage: .*entfällt sie; danach wird sie bestätigt\.$/)).toBeVisible();
	await expect(page.getByText(/Erste Empfehlung zählt/)).toBeVisible();
	await expect(page.getByText('Prämien gibt es nur für den ersten Abschluss eines geworbenen Kunden.')).toBeVisible();
	await look(page, 'partner-empfehlungen-programm');

	// Pause and resume.
	await page.getByRole('button', { name: 'Pausieren' }).click();
	await expect(page.getByText('Das Programm ist pausiert.')).toBeVisible();
	await expect(page.getByText('Pausiert', { exact: true })).toBeVisible();
	await expect(page.getByText('Die Empfehlungslinks führen zu einer Hinweisseite')).toBeVisible();
	await page.getByRole('button', { name: 'Fortsetzen' }).click();
	await expect(page.getByText('Das Programm läuft wieder.')).toBeVisible();
	await expect(page.getByText('Läuft', { exact: true })).toBeVisible();

	// The API key: shown once, copied, afterwards only its prefix.
	await page.goto('/partner/empfehlungen/schluessel');
	await expect(page.getByText('Sie haben noch keinen API-Schlüssel.')).toBeVisible();
	await page.getByLabel('Name des Schlüssels').fill('Online-Shop');
	await page.getByRole('button', { name: 'Schlüssel erzeugen' }).click();
	await expect(page.getByText('Dieser Schlüssel wird nur jetzt angezeigt.')).toBeVisible();
	const apiKey = (await page.getByTestId('neuer-schluessel').textContent()) ?? '';
	expect(apiKey).toMatch(/^pnk_[A-Za-z0-9]{8}_[A-Za-z0-9]+$/);
	await context.grantPermissions(['clipboard-read', 'clipboard-write']);
	await page.getByRole('button', { name: 'Kopieren' }).click();
	await expect(page.getByText('Der Schlüssel ist in der Zwischenablage.')).toBeVisible();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(apiKey);
	await look(page, 'partner-empfehlungen-schluessel-neu');
	const prefix = apiKey.split('_')[1] ?? '';
	await page.reload();
	await expect(page.getByRole('heading', { name: 'Online-Shop', level: 3 })).toBeVisible();
	await expect(page.getByText(`pnk_${prefix}_…`)).toBeVisible();
	await expect(page.getByText(apiKey)).toHaveCount(0);

	// Meanwhile an end user joins, a friend follows the link in a browser, and the shop reports
	// the purchase of 129,99 € with the key: 10 % is 13,00 €, pending in the 14 days' hold.
	const code = await referrer(request, platform, programId);
	const click = await request.get(`${API}/r/${code}`, { headers: { 'user-agent': CHROME }, maxRedirects: 0 });
	expect(click.status()).toBe(302);
	const clickId = new URL(click.headers()['location'] ?? '').searchParams.get('pn_click');
	expect(clickId).toBeTruthy();
	const report = (externalId: string) =>
		request.post(`${API}/conversions`, {
			headers: { 'x-api-key': apiKey },
			data: { click_id: clickId, event: 'purchase', external_id: externalId, amount_cents: 12999 }
		});
	const converted = await report('B-4711');
	expect(converted.status(), await converted.text()).toBe(201);
	expect(((await converted.json()) as { reward: { amount_cents: number } }).reward.amount_cents).toBe(1300);

	// Revoked, with what it does said first; the shop's next report is refused.
	await page.getByRole('button', { name: 'Widerrufen (Online-Shop)' }).click();
	await expect(page.getByText('Nach dem Widerruf lehnen wir jede Meldung mit diesem Schlüssel ab.')).toBeVisible();
	await look(page, 'partner-empfehlungen-schluessel-widerruf');
	await page.getByRole('button', { name: 'Widerruf bestätigen' }).click();
	await expect(page.getByText('Widerrufen: Meldungen mit diesem Schlüssel werden abgelehnt.')).toBeVisible();
	await expect(page.getByRole('button', { name: /Widerrufen/ })).toHaveCount(0);
	expect((await report('B-4712')).status()).toBe(401);

	// The figures per day: the API's day, as chart and table.
	const stats = await request.get(`${API}/programs/${programId}/statistics`, { headers: partner });
	expect(stats.ok(), await stats.text()).toBe(true);
	const { from, to } = (await stats.json()) as { from: string; to: string };
	await page.goto('/partner/empfehlungen');
	await expect(page.getByText('1 aktiver Schlüssel.')).toHaveCount(0);
	await expect(page.getByText('Noch kein aktiver Schlüssel.')).toBeVisible();
	const listed = page.getByRole('listitem').filter({ hasText: 'Freunde werben Freunde' });
	await expect(listed.getByText('Läuft')).toBeVisible();
	await expect(listed.getByText('500,00 €')).toBeVisible();
	await look(page, 'partner-empfehlungen');
	await listed.getByRole('link', { name: 'Freunde werben Freunde' }).click();
	await expect(page.getByText(`Die letzten 30 Tage bis zum ${german(to)}.`)).toBeVisible();
	await expect(page.getByRole('img', { name: 'Klicks und Abschlüsse je Tag' })).toHaveAccessibleName(
		`Klicks und Abschlüsse je Tag, vom ${german(from)} bis ${german(to)}: 1 Klick und 1 Abschluss.`
	);
	const table = page.getByRole('table', { name: /Zahlen je Tag/ });
	const today = table.getByRole('row', { name: new RegExp(`^${german(to)}`) });
	await expect(today.getByRole('cell')).toHaveText(['1', '1', '1', '1', '0', '0', '0,00 €']);
	const sum = table.getByRole('row', { name: /^Zusammen/ });
	await expect(sum.getByRole('cell')).toHaveText(['1', '1', '1', '1', '0', '0', '0,00 €']);
	await look(page, 'partner-empfehlungen-statistik');
	// Ninety days to the same day of the API's: the same figures over a longer period.
	await page.getByLabel('Zeitraum').selectOption('90');
	await expect(page.getByText(`Die letzten 90 Tage bis zum ${german(to)}.`)).toBeVisible();
	await expect(page.getByRole('img', { name: 'Klicks und Abschlüsse je Tag' })).toHaveAccessibleName(
		`Klicks und Abschlüsse je Tag, vom ${german(addDays(to, -89))} bis ${german(to)}: 1 Klick und 1 Abschluss.`
	);
	await expect(sum.getByRole('cell')).toHaveText(['1', '1', '1', '1', '0', '0', '0,00 €']);

	// Ended for good, with what that means said first.
	await page.getByRole('button', { name: 'Beenden', exact: true }).click();
	await expect(page.getByText('Ein beendetes Programm lässt sich nicht wieder starten')).toBeVisible();
	await page.getByRole('button', { name: 'Beenden bestätigen' }).click();
	await expect(page.getByText('Das Programm ist beendet.')).toBeVisible();
	await expect(page.getByText('Beendet', { exact: true })).toBeVisible();
	await expect(page.getByRole('button', { name: /Pausieren|Fortsetzen|Beenden/ })).toHaveCount(0);
});
