// A supplier's customer: invited by mail, sets a password, logs in on the supplier's page by
// username, opens the own folder and copies its password (the supplier sees the copy).

import { expect, test } from '@playwright/test';
import { API, PASSWORD, confirmedPartner, linkMailedTo, look, uniqueEmail } from './kit';

test('a customer logs in on the supplier page and copies the folder password', async ({
	page,
	request,
	context
}) => {
	const supplierEmail = uniqueEmail('kanzlei');
	const partner = await confirmedPartner(request, supplierEmail);
	const auth = { authorization: `Bearer ${partner}` };
	const slug = `kanzlei-${Date.now().toString(36)}`;
	const booked = await request.post(`${API}/file-links/account`, { headers: auth, data: { slug } });
	expect(booked.status()).toBe(201);
	const customerEmail = uniqueEmail('karl');
	const username = `karl-${Date.now().toString(36)}`;
	const created = await request.post(`${API}/file-links/customers`, {
		headers: auth,
		data: {
			first_name: 'Karl',
			last_name: 'Kunde',
			email: customerEmail,
			username,
			folder_url: 'https://cloud.example.de/s/ordner-karl',
			folder_password: 'ordner-geheim-42'
		}
	});
	expect(created.status()).toBe(201);

	// The invitation from the mail: a password of the customer's choosing.
	await page.goto(await linkMailedTo(request, customerEmail, '/einladung'));
	await page.getByLabel('Neues Passwort').fill(PASSWORD);
	await page.getByLabel('Passwort wiederholen').fill(PASSWORD);
	await page.getByRole('button', { name: 'Passwort festlegen' }).click();
	await expect(page.getByText('Ihr Passwort wurde gespeichert')).toBeVisible();

	// On from the invitation to the supplier's page, where the customer logs in.
	await page.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await expect(page).toHaveURL(new RegExp(`/kundenkonto/${slug}$`));
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Bäckerei Müller GmbH');
	await expect(page.getByRole('complementary', { name: 'Kontakt' })).toContainText(supplierEmail);
	await look(page, 'kundenkonto-anmelden');
	await page.getByLabel('E-Mail-Adresse oder Benutzername').fill(username);
	await page.getByLabel('Passwort').fill('falsch-falsch-1');
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByRole('alert')).toBeVisible();
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByText('Willkommen, Karl Kunde.')).toBeVisible();
	const open = page.getByRole('link', { name: /Öffnen/ }).first();
	await expect(open).toHaveAttribute('href', 'https://cloud.example.de/s/ordner-karl');
	await expect(open).toHaveAttribute('target', '_blank');
	await expect(open).toHaveAttribute('rel', /noopener/);
	await look(page, 'kundenkonto-ordner');

	await context.grantPermissions(['clipboard-read', 'clipboard-write']);
	await page.getByRole('button', { name: 'Passwort kopieren' }).click();
	await expect(page.getByText('ist in der Zwischenablage')).toBeVisible();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('ordner-geheim-42');
	await expect(page.getByText('ordner-geheim-42')).toHaveCount(0);

	// The supplier sees who copied it.
	const reveals = await request.get(`${API}/file-links/reveals`, { headers: auth });
	const { reveals: list } = (await reveals.json()) as { reveals: unknown[] };
	expect(list.length).toBe(1);

	// A reload keeps the customer signed in ("angemeldet bleiben"); Abmelden ends it.
	await page.reload();
	await expect(page.getByText('Willkommen, Karl Kunde.')).toBeVisible();
	await page.getByRole('button', { name: 'Abmelden' }).click();
	await expect(page.getByLabel('E-Mail-Adresse oder Benutzername')).toBeVisible();

	// A forgotten password: asked by username on the supplier's page, reset from the mail,
	// and back to the supplier's page to log in.
	await page.getByRole('link', { name: 'Passwort vergessen?' }).click();
	// The login's field has the same label: fill the new page's, once it is there.
	await expect(page.getByRole('heading', { name: 'Passwort vergessen' })).toBeVisible();
	await page.getByLabel('E-Mail-Adresse oder Benutzername').fill(username);
	await look(page, 'kundenkonto-passwort-vergessen');
	await page.getByRole('button', { name: 'Link anfordern' }).click();
	await expect(page.getByRole('status')).toContainText('haben wir Ihnen einen Link geschickt');
	await page.goto(await linkMailedTo(request, customerEmail, '/passwort-zuruecksetzen'));
	await page.getByLabel('Neues Passwort').fill('ein-neues-passwort-7');
	await page.getByLabel('Passwort wiederholen').fill('ein-neues-passwort-7');
	await page.getByRole('button', { name: 'Passwort speichern' }).click();
	await page.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await expect(page).toHaveURL(new RegExp(`/kundenkonto/${slug}$`));
	await page.getByLabel('E-Mail-Adresse oder Benutzername').fill(username);
	await page.getByLabel('Passwort').fill('ein-neues-passwort-7');
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByText('Willkommen, Karl Kunde.')).toBeVisible();
});

test('an unknown supplier link says so in German', async ({ page }) => {
	await page.goto('/kundenkonto/gibt-es-nicht');
	await expect(page.getByRole('alert')).toContainText('Diesen Zugang gibt es nicht');
	await look(page, 'kundenkonto-unbekannt');
});
