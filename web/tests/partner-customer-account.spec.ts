// The digital customer account in the partner portal: a confirmed partner books it with a
// slug and sees the access link, the tier, its yearly price and the next billing day; invites
// customers until the eleventh, before which the new tier and its price are said and
// confirmed; pages and searches the table; edits, disables and deletes customers; adds a link
// for all customers. A customer invited there sets a password from the mail, logs in on the
// supplier's page and copies the folder password: the partner sees who copied it when.
//
// No date comes from this machine's clock: the billing day and the copy's time are the API's.

import { expect, test } from '@playwright/test';
import { API, PASSWORD, confirmedPartner, linkMailedTo, look, uniqueEmail } from './kit';
import { addCustomer, inviteCustomer as invite } from './portal-kit';
import { formatDate, formatTime } from '../src/lib/format';

test('a partner books the customer account, passes the tier warning and manages its customers', async ({
	page,
	request,
	browser
}) => {
	const email = uniqueEmail('kanzlei');
	const token = await confirmedPartner(request, email);
	const auth = { authorization: `Bearer ${token}` };

	await page.goto('/partner/kundenkonto');
	await expect(page).toHaveURL(/\/partner\/anmelden\?weiter=\/partner\/kundenkonto$/);
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Digitales Kundenkonto');
	await expect(page.getByRole('navigation').getByRole('link', { name: 'Kundenkonto' })).toHaveAttribute(
		'aria-current',
		'page'
	);

	// Booking: a slug the API refuses is said at the field.
	await page.getByLabel('Ihr Zugangslink').fill('x');
	await page.getByRole('button', { name: 'Kundenkonto buchen' }).click();
	await expect(page.getByLabel('Ihr Zugangslink')).toHaveAttribute('aria-invalid', 'true');
	await look(page, 'partner-kundenkonto-buchen');
	const slug = `kanzlei-${Date.now().toString(36)}`;
	await page.getByLabel('Ihr Zugangslink').fill(slug);
	await page.getByRole('button', { name: 'Kundenkonto buchen' }).click();
	await expect(page.getByRole('link', { name: new RegExp(`/kundenkonto/${slug}$`) })).toBeVisible();
	const booked = (await (await request.get(`${API}/file-links/account`, { headers: auth })).json()) as {
		next_billing_on: string;
	};
	await expect(page.getByText(`Nächste Abrechnung am ${formatDate(booked.next_billing_on)}`)).toBeVisible();
	await expect(page.getByText('bis 10 Kunden (kostenlos)')).toBeVisible();
	await expect(page.getByText('Sie haben noch keine Kunden eingeladen.')).toBeVisible();

	// The first customer, with a username and a folder password, through the form.
	const karlEmail = uniqueEmail('karl');
	const username = `karl-${Date.now().toString(36)}`;
	await invite(page, 'Karl', 'Kunde', karlEmail, {
		username,
		folder: 'https://cloud.example.de/s/ordner-karl',
		password: 'ordner-geheim-42'
	});
	await expect(page.getByText(`Die Einladung an Karl Kunde (${karlEmail}) ist unterwegs.`)).toBeVisible();
	await expect(page.getByRole('row', { name: /Karl Kunde/ })).toContainText('Eingeladen');

	// Nine more through the API: the free tier is full.
	for (let n = 2; n <= 10; n++) {
		await addCustomer(request, auth, `Kundin ${n}`, n % 3 === 0 ? 'Schmidt' : 'Meier');
	}
	await page.reload();
	await expect(page.getByText('10 Kunden von 10 in Ihrer Stufe')).toBeVisible();

	// The eleventh: the new tier and what it costs are said before the invitation goes out.
	await invite(page, 'Elf', 'Elfer', uniqueEmail('elf'));
	const warning = page.getByRole('group', { name: /Mit dem 11\. Kunden/ });
	await expect(warning).toContainText('in die Stufe „bis 25 Kunden“: 30,00 € im Jahr zzgl. USt. (2,50 € im Monat)');
	await look(page, 'partner-kundenkonto-stufenwechsel');
	await warning.getByRole('button', { name: 'Kosten bestätigen und einladen' }).click();
	await expect(page.getByText(/Die Einladung an Elf Elfer .* ist unterwegs\./)).toBeVisible();
	await expect(page.getByText('11 Kunden von 25 in Ihrer Stufe')).toBeVisible();
	await expect(page.getByText('30,00 € im Jahr zzgl. USt. (2,50 € im Monat, jährlich im Voraus)')).toBeVisible();

	// Twenty-five customers: the table loads twenty, then the rest.
	for (let n = 12; n <= 25; n++) {
		await addCustomer(request, auth, `Kunde ${n}`, n % 3 === 0 ? 'Schmidt' : 'Meier');
	}
	await page.reload();
	const table = page.getByRole('table');
	await expect(table.getByRole('row')).toHaveCount(21);
	await page.getByRole('button', { name: 'Weitere Kunden laden' }).click();
	await expect(table.getByRole('row')).toHaveCount(26);
	await expect(page.getByRole('button', { name: 'Weitere Kunden laden' })).toHaveCount(0);
	await look(page, 'partner-kundenkonto');

	// Searching: the API finds the eight Schmidts, in any case.
	await page.getByLabel('Kunden suchen').fill('SCHMIDT');
	await page.getByRole('button', { name: 'Suchen' }).click();
	await expect(page.getByText('Gefunden für „SCHMIDT“: 8')).toBeVisible();
	await expect(table.getByRole('row')).toHaveCount(9);
	await page.getByLabel('Kunden suchen').fill('niemand-heisst-so');
	await page.getByRole('button', { name: 'Suchen' }).click();
	await expect(page.getByText('Keine Kunden gefunden für „niemand-heisst-so“.')).toBeVisible();
	await page.getByLabel('Kunden suchen').fill('');
	await page.getByRole('button', { name: 'Suchen' }).click();
	await expect(table.getByRole('row')).toHaveCount(21);

	// Edit one.
	await page.getByRole('row', { name: /Kundin 2 Meier/ }).getByRole('button', { name: /Bearbeiten/ }).click();
	const edit = page.getByRole('form', { name: 'Kundin 2 Meier bearbeiten' });
	await edit.getByLabel('Nachname').fill('Meier-Lang');
	await edit.getByRole('button', { name: 'Speichern' }).click();
	await expect(page.getByText('Die Angaben zu Kundin 2 Meier-Lang sind gespeichert.')).toBeVisible();
	await expect(page.getByRole('row', { name: /Kundin 2 Meier-Lang/ })).toBeVisible();

	// Disable one and send another's invitation again.
	await page.getByRole('row', { name: /Elf Elfer/ }).getByRole('button', { name: /Sperren/ }).click();
	await expect(page.getByText('Elf Elfer ist gesperrt und sofort abgemeldet.')).toBeVisible();
	await expect(page.getByRole('row', { name: /Elf Elfer/ })).toContainText('Gesperrt');
	await page.getByRole('row', { name: /Kundin 4 Meier/ }).getByRole('button', { name: /Einladung erneut senden/ }).click();
	await expect(page.getByText(/Die Einladung wurde erneut an .* gesendet\./)).toBeVisible();

	// Delete one, confirmed first.
	await page.getByRole('row', { name: /Kundin 5 Meier/ }).getByRole('button', { name: /Löschen/ }).click();
	const deleting = page.getByRole('group', { name: /Kundin 5 Meier löschen\?/ });
	await expect(deleting).toContainText('Der Zugang endet sofort');
	await deleting.getByRole('button', { name: 'Endgültig löschen' }).click();
	await expect(page.getByText('Kundin 5 Meier ist gelöscht; der Zugang endet sofort.')).toBeVisible();
	await expect(page.getByRole('row', { name: /Kundin 5 Meier/ })).toHaveCount(0);
	await expect(page.getByText('24 Kunden von 25 in Ihrer Stufe')).toBeVisible();

	// A link every customer sees.
	const links = page.getByRole('form', { name: 'Link hinzufügen' });
	await links.getByLabel('Name des Links').fill('Preisliste 2027');
	await links.getByLabel('Adresse (https)').fill('http://unsicher.example.de/preise');
	await links.getByRole('button', { name: 'Link hinzufügen' }).click();
	await expect(links.getByLabel('Adresse (https)')).toHaveAttribute('aria-invalid', 'true');
	await links.getByLabel('Adresse (https)').fill('https://cloud.example.de/s/preise');
	await links.getByRole('button', { name: 'Link hinzufügen' }).click();
	await expect(page.getByText('Der Link „Preisliste 2027“ ist für alle Kunden sichtbar.')).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Preisliste 2027' })).toBeVisible();
	await expect(page.getByText('Noch hat niemand ein Passwort kopiert.')).toBeVisible();

	// Karl accepts the invitation, logs in on the supplier's page and copies the password.
	const customer = await browser.newContext({
		baseURL: process.env.WEB_URL ?? 'http://127.0.0.1:3002',
		locale: 'de-DE',
		timezoneId: 'Europe/Berlin',
		permissions: ['clipboard-read', 'clipboard-write']
	});
	const karl = await customer.newPage();
	await karl.goto(await linkMailedTo(request, karlEmail, '/einladung'));
	await karl.getByLabel('Neues Passwort').fill(PASSWORD);
	await karl.getByLabel('Passwort wiederholen').fill(PASSWORD);
	await karl.getByRole('button', { name: 'Passwort festlegen' }).click();
	await karl.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await expect(karl).toHaveURL(new RegExp(`/kundenkonto/${slug}$`));
	await karl.getByLabel('E-Mail-Adresse oder Benutzername').fill(username);
	await karl.getByLabel('Passwort').fill(PASSWORD);
	await karl.getByRole('button', { name: 'Anmelden' }).click();
	await expect(karl.getByText('Willkommen, Karl Kunde.')).toBeVisible();
	await expect(karl.getByText('Preisliste 2027')).toBeVisible();
	await karl.getByRole('button', { name: 'Passwort kopieren' }).first().click();
	await expect(karl.getByText('ist in der Zwischenablage')).toBeVisible();
	await customer.close();

	// The partner sees who copied which password when (the time is the API's).
	const { reveals } = (await (await request.get(`${API}/file-links/reveals`, { headers: auth })).json()) as {
		reveals: { folder_name: string; revealed_at: string }[];
	};
	expect(reveals).toHaveLength(1);
	const [copied] = reveals;
	if (!copied) throw new Error('no reveal');
	await page.reload();
	await expect(page.getByRole('region', { name: 'Wer hat wann ein Passwort kopiert?' })).toContainText(
		`Karl Kunde kopierte das Passwort von „${copied.folder_name}“ am ${formatDate(copied.revealed_at)}, ${formatTime(copied.revealed_at)} Uhr`
	);
	await expect(page.getByRole('row', { name: /Karl Kunde/ })).toContainText('Aktiv');
});
