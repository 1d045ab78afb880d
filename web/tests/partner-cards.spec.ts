// Customer cards from the contract to the till and back: a confirmed partner reads the
// contract's terms (fee per terminal user, term, notice date) before signing and signs,
// creates a bonus-points program (an error at its field first) with its rules in words,
// orders a batch and downloads its print file and the sheet of barcodes, invites a terminal
// user, who sets the password from the mail and books at the till; the partner sees the
// turnover as chart and table, requests an export with its links, and disables the terminal
// user, whom the till then refuses. Cancelling says the end before it is confirmed.
//
// No date comes from this machine's clock: "today" is the API's (`signed_on` of the terms).

import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { API, PASSWORD, confirmedPartner, linkMailedTo, look, uniqueEmail } from './kit';
import { TILL_PASSWORD, tillUserBooks } from './merchant';
import { addDays, german, operatorBearer } from './portal-kit';

interface Terms {
	signed_on: string;
	term_end: string;
	last_day_to_cancel: string;
}

test('a partner signs the card contract, issues cards, invites a till and sees the figures', async ({
	page,
	request
}) => {
	test.setTimeout(240_000);
	const operator = await operatorBearer(request);
	const price = await request.put(`${API}/cards/price`, {
		headers: operator,
		data: { fee_per_terminal_user_cents: 990 }
	});
	expect(price.status(), await price.text()).toBe(200);

	const email = uniqueEmail('baeckerei-karten');
	const partner = { authorization: `Bearer ${await confirmedPartner(request, email)}` };
	const me = (await (await request.get(`${API}/partners/me`, { headers: partner })).json()) as { id: string };
	// The API's day: what signing today gives.
	const termsReply = await request.get(`${API}/cards/contract/terms`, { headers: partner });
	expect(termsReply.status(), await termsReply.text()).toBe(200);
	const terms = (await termsReply.json()) as Terms;

	// From the start page's tile into the section.
	await page.goto('/partner');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByText('Kein Kartenvertrag abgeschlossen.')).toBeVisible();
	await page.getByRole('link', { name: 'Kartenvertrag ansehen' }).click();
	await expect(page.getByRole('heading', { name: 'Karten', level: 1 })).toBeVisible();

	// The terms before signing: fee per terminal user, term and notice date.
	const shownTerms = page.getByTestId('bedingungen');
	await expect(shownTerms).toContainText('9,90 € je Kassenzugang und Monat zzgl. USt.');
	await expect(shownTerms).toContainText(
		`ab heute (${german(terms.signed_on)}) zwei Jahre, also bis ${german(terms.term_end)}`
	);
	await expect(shownTerms).toContainText(`für die erste Laufzeit also bis ${german(terms.last_day_to_cancel)}`);
	await look(page, 'partner-karten-bedingungen');
	await page.getByRole('button', { name: 'Kartenvertrag verbindlich abschließen' }).click();
	await expect(page.getByRole('status')).toContainText('Der Kartenvertrag ist abgeschlossen.');
	const contract = page.getByTestId('vertrag');
	await expect(contract).toContainText(`Abgeschlossen am ${german(terms.signed_on)}.`);
	await expect(contract).toContainText('0 Kassenzugänge zu je 9,90 € im Monat zzgl. USt.: 0,00 € in diesem Monat.');
	await expect(contract).toContainText(`kündbar bis ${german(terms.last_day_to_cancel)}`);
	await look(page, 'partner-karten-vertrag');

	// A bonus-points program: a typo at its field, then its rules in words.
	await page.getByRole('link', { name: 'Programme anlegen und Karten bestellen' }).click();
	await expect(page.getByRole('heading', { name: 'Programme und Karten', level: 1 })).toBeVisible();
	await expect(page.getByText('Noch kein Programm.')).toBeVisible();
	await page.getByLabel('Name des Programms').fill('Brötchen-Bonus');
	await expect(page.getByRole('radio', { name: /Bonuspunkte/ })).toBeChecked();
	await page.getByLabel('Punkte je 1,00 € Einkauf').fill('500');
	await page.getByRole('button', { name: 'Programm anlegen' }).click();
	await expect(page.locator('#feld-punkte-je-euro-fehler')).toHaveText('Muss zwischen 1 und 100 liegen.');
	await expect(page.getByLabel('Punkte je 1,00 € Einkauf')).toHaveAttribute('aria-invalid', 'true');
	await page.getByLabel('Punkte je 1,00 € Einkauf').fill('1');
	await expect(page.getByText('Beim Einlösen ist ein Punkt 0,01 € wert: 100 Punkte sind 1,00 € Rabatt.').first()).toBeVisible();
	await page.getByRole('button', { name: 'Programm anlegen' }).click();
	await expect(page.getByRole('status')).toContainText('Das Programm „Brötchen-Bonus“ ist angelegt.');
	const program = page.locator('ul.rows > li').filter({ hasText: 'Brötchen-Bonus' });
	await expect(program.getByRole('heading', { name: 'Brötchen-Bonus (Bonuspunkte)' })).toBeVisible();
	await expect(program).toContainText('Je volle 1,00 € Einkauf gibt es 1 Punkt.');
	await expect(program).toContainText('Punkte verfallen 24 Monate nach dem Einkauf, die ältesten zuerst.');

	// A batch of three cards: the print file and the sheet of barcodes.
	await program.getByLabel('Anzahl Karten (1–49)').fill('60');
	await program.getByRole('button', { name: /Karten bestellen/ }).click();
	await expect(program.getByText('Bitte bestellen Sie 1 bis 49 Karten auf einmal.')).toBeVisible();
	await program.getByLabel('Anzahl Karten (1–49)').fill('3');
	await program.getByRole('button', { name: /Karten bestellen/ }).click();
	await expect(program).toContainText('3 Karten sind angelegt.');
	await expect(program).toContainText(`wird am ${german(addDays(terms.signed_on, 7))} gelöscht`);
	const printFile = program.getByRole('link', { name: 'Druckdatei (CSV) herunterladen' });
	const csv = await request.get((await printFile.getAttribute('href')) ?? '');
	expect(csv.status()).toBe(200);
	expect(csv.headers()['content-type']).toContain('text/csv');
	const lines = (await csv.text()).replace(/^\uFEFF/, '').trim().split(/\r?\n/);
	expect(lines[0]).toBe('Kartennummer;Aktivierungscode');
	expect(lines).toHaveLength(4);
	const [printed] = (lines[1] ?? '').split(';');
	const card = (printed ?? '').replace(/ /g, '');
	expect(card).toMatch(/^\d{16}$/);
	await expect(page.locator('.cardlist li').filter({ hasText: printed ?? '' })).toContainText('Brötchen-Bonus · ausgegeben am');

	const sheetLink = program.getByRole('link', { name: 'Barcode-Bogen (SVG) herunterladen' });
	const [download] = await Promise.all([page.waitForEvent('download'), sheetLink.click()]);
	expect(download.suggestedFilename()).toMatch(/^barcodes-.+\.svg$/);
	const sheet = await readFile((await download.path()) ?? '', 'utf8');
	expect(sheet.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
	expect(sheet).toContain('<svg xmlns="http://www.w3.org/2000/svg" width="210mm"');
	expect(sheet).toContain(`>${printed}</text>`);
	expect(sheet.match(/<svg x="/g)).toHaveLength(3);
	await look(page, 'partner-karten-programme');

	// A terminal user, invited by mail; the page gives the till's link.
	await page.getByRole('navigation', { name: 'Karten' }).getByRole('link', { name: 'Kassenzugänge' }).click();
	await expect(page.getByRole('heading', { name: 'Kassenzugänge', level: 1 })).toBeVisible();
	await expect(page.getByTestId('kassenlink')).toHaveAttribute('href', `/kasse/${me.id}`);
	await expect(page.getByText('Noch kein Kassenzugang.')).toBeVisible();
	const tillEmail = uniqueEmail('kasse-mitte');
	await page.getByLabel('Benutzername').fill('Kasse 1');
	await page.getByLabel('Bezeichnung').fill('Kasse Mitte');
	await page.getByLabel('E-Mail-Adresse für die Einladung').fill(tillEmail);
	await page.getByRole('button', { name: 'Einladen' }).click();
	await expect(page.getByLabel('Benutzername')).toHaveAttribute('aria-invalid', 'true');
	await page.getByLabel('Benutzername').fill('kasse-1');
	await page.getByRole('button', { name: 'Einladen' }).click();
	await expect(page.getByRole('status')).toContainText(`„Kasse Mitte“ (kasse-1) ist eingeladen`);
	const tillRow = page.locator('ul.rows > li').filter({ hasText: 'Kasse Mitte' });
	await expect(tillRow).toContainText(`Aktiv seit ${german(terms.signed_on)}.`);
	await look(page, 'partner-karten-kasse');

	// The terminal user sets the password from the mail and books at the till.
	const browser = page.context().browser();
	if (!browser) throw new Error('the test runs in a browser');
	const till = await browser.newContext({ baseURL: test.info().project.use.baseURL });
	const tillPage = await till.newPage();
	const link = await linkMailedTo(request, tillEmail, '/einladung');
	expect(new URL(link).searchParams.get('weiter')).toBe(`/kasse/${me.id}/anmelden`);
	await tillUserBooks(tillPage, link, me.id, card);

	// The figures: turnover of the day as chart and table; the balances outstanding.
	await page.getByRole('navigation', { name: 'Karten' }).getByRole('link', { name: 'Statistik und Export' }).click();
	await expect(page.getByRole('heading', { name: 'Statistik und Export', level: 1 })).toBeVisible();
	await expect(page.getByText('3 Karten ausgegeben')).toBeVisible();
	await expect(page.getByText('Bonuspunkte: 23 Punkte')).toBeVisible();
	await expect(page.getByRole('img', { name: `Umsatz je Tag: ${german(terms.signed_on)} 23,50 €` })).toBeVisible();
	const turnover = page.getByRole('table', { name: 'Umsatz je Tag' });
	await expect(turnover.getByRole('row', { name: german(terms.signed_on) })).toContainText('23,50 €');
	await expect(turnover.getByRole('row', { name: /Zusammen/ })).toContainText('23,50 €');
	await expect(page.getByText('Noch zu wenige Karteninhaber für diese Aufteilung.')).toHaveCount(3);
	await page.getByRole('combobox', { name: 'Zeitraum' }).selectOption('month');
	const month = terms.signed_on.slice(0, 7);
	const monthName = new Intl.DateTimeFormat('de-DE', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
		new Date(`${month}-01T00:00:00Z`)
	);
	await expect(page.getByRole('table', { name: 'Umsatz je Monat' }).getByRole('row', { name: monthName })).toContainText(
		'23,50 €'
	);
	await look(page, 'partner-karten-statistik');

	// The export: its links and until when they work.
	await page.getByRole('button', { name: 'Export erstellen' }).click();
	const exported = page.getByTestId('export');
	await expect(exported).toContainText('Der Export ist fertig; die Dateien stehen bis');
	const bookings = await request.get(
		(await exported.getByRole('link', { name: /Buchungen \(CSV, 1 Einträge\)/ }).getAttribute('href')) ?? ''
	);
	expect(bookings.status()).toBe(200);
	expect(bookings.headers()['content-type']).toContain('text/csv');
	expect(await bookings.text()).toContain(printed ?? '');
	await look(page, 'partner-karten-export');

	// Disabled, the terminal user can no longer book: the till refuses the next lookup.
	await page.getByRole('navigation', { name: 'Karten' }).getByRole('link', { name: 'Kassenzugänge' }).click();
	const row = page.locator('ul.rows > li').filter({ hasText: 'Kasse Mitte' });
	await row.getByRole('button', { name: /Sperren/ }).click();
	await expect(row.getByRole('group')).toContainText('nicht mehr an der Kasse anmelden');
	await row.getByRole('button', { name: 'Sperre bestätigen' }).click();
	await expect(page.getByRole('status')).toContainText('„Kasse Mitte“ ist gesperrt');
	await expect(row).toContainText(`Gesperrt seit ${german(terms.signed_on)}`);
	await tillPage.getByLabel('Kartennummer').fill(card);
	await tillPage.getByLabel('Kartennummer').press('Enter');
	await expect(tillPage.getByRole('alert')).toContainText('Ihr Zugang ist gesperrt.');
	await expect(tillPage.getByRole('heading', { name: 'Brötchen-Bonus' })).toBeHidden();
	// Nor can it log in again.
	await tillPage.goto(`/kasse/${me.id}/anmelden`);
	await tillPage.getByLabel('Benutzername').fill('kasse-1');
	await tillPage.getByLabel('Passwort').fill(TILL_PASSWORD);
	await tillPage.getByLabel('Passwort').press('Enter');
	await expect(tillPage.getByRole('alert')).toBeVisible();
	await expect(tillPage).toHaveURL(new RegExp(`/kasse/${me.id}/anmelden`));
	await till.close();

	// Cancelling says the end first.
	await page.getByRole('navigation', { name: 'Karten' }).getByRole('link', { name: 'Vertrag' }).click();
	await page.getByRole('button', { name: 'Kartenvertrag kündigen' }).click();
	await expect(page.getByRole('group')).toContainText(
		`Wenn Sie heute kündigen, endet der Vertrag am ${german(terms.term_end)}.`
	);
	await page.getByRole('button', { name: 'Kündigung bestätigen' }).click();
	await expect(page.getByRole('status')).toContainText(`Der Kartenvertrag endet am ${german(terms.term_end)}.`);
	await expect(page.getByTestId('vertrag')).toContainText(`der Vertrag endet am ${german(terms.term_end)}`);
});
