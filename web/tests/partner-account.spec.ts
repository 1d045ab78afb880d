// The partner's own account: the password changed (the next login takes the new one), the
// login address changed through the mail to the new address (the next login takes that),
// all own data downloaded (the file holds the company), and the account closed after what
// happens was said first: afterwards the login is refused in German.

import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { API, PASSWORD, confirmedPartner, linkMailedTo, look, uniqueEmail } from './kit';

const NEW_PASSWORD = 'ein-neues-passwort-9';

async function logIn(page: Page, email: string, password: string) {
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(password);
	await page.getByRole('button', { name: 'Anmelden' }).click();
}

test('a partner changes password and login address, downloads the data and closes the account', async ({
	page,
	request
}) => {
	const email = uniqueEmail('baeckerei');
	const token = await confirmedPartner(request, email);
	// A customer account runs: closing says until when its customers log in.
	const booked = await request.post(`${API}/file-links/account`, {
		headers: { authorization: `Bearer ${token}` },
		data: { slug: `baeckerei-${Date.now().toString(36)}` }
	});
	expect(booked.status()).toBe(201);

	await page.goto('/partner/konto');
	await expect(page).toHaveURL(/\/partner\/anmelden\?weiter=\/partner\/konto$/);
	await logIn(page, email, PASSWORD);
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Konto');
	await expect(page.getByText(`Sie melden sich an mit ${email}.`)).toBeVisible();
	await look(page, 'partner-konto');

	// The password: a wrong current one is said at its field.
	const password = page.getByRole('region', { name: 'Passwort ändern' });
	await password.getByLabel('Aktuelles Passwort').fill('falsch-falsch-1');
	await password.getByLabel('Neues Passwort', { exact: true }).fill(NEW_PASSWORD);
	await password.getByLabel('Neues Passwort wiederholen').fill(NEW_PASSWORD);
	await password.getByRole('button', { name: 'Passwort ändern' }).click();
	await expect(password.getByLabel('Aktuelles Passwort')).toHaveAttribute('aria-invalid', 'true');
	await expect(password.getByText('ist nicht Ihr aktuelles Passwort')).toBeVisible();
	await password.getByLabel('Aktuelles Passwort').fill(PASSWORD);
	await password.getByRole('button', { name: 'Passwort ändern' }).click();
	await expect(password.getByRole('status')).toBeVisible();
	await expect(password.getByLabel('Aktuelles Passwort')).toHaveValue('');

	// Logged out, the old password no longer works; the new one does.
	await page.getByRole('button', { name: 'Abmelden' }).click();
	await page.goto('/partner/konto');
	await logIn(page, email, PASSWORD);
	await expect(page.getByRole('alert')).toContainText('Anmeldename oder Passwort ist falsch.');
	await logIn(page, email, NEW_PASSWORD);
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Konto');

	// The login address, confirmed through the mail to the new one.
	const newEmail = uniqueEmail('neu');
	const address = page.getByRole('region', { name: 'Anmeldeadresse ändern' });
	await address.getByLabel('Neue E-Mail-Adresse').fill(newEmail);
	await address.getByLabel('Ihr Passwort').fill(NEW_PASSWORD);
	await address.getByRole('button', { name: 'Bestätigungslink senden' }).click();
	await expect(address.getByRole('status')).toContainText(`Wir haben einen Bestätigungslink an ${newEmail} gesendet.`);
	await page.goto(await linkMailedTo(request, newEmail, '/partner/email-bestaetigen'));
	await expect(page.getByRole('status')).toContainText(`Ihre Anmeldeadresse ist jetzt ${newEmail}.`);
	await look(page, 'partner-email-bestaetigen');
	await page.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await expect(page).toHaveURL(/\/partner\/anmelden\?weiter=\/partner\/konto$/);
	await logIn(page, newEmail, NEW_PASSWORD);
	await expect(page.getByText(`Sie melden sich an mit ${newEmail}.`)).toBeVisible();

	// All own data as one file: it holds the company.
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByRole('button', { name: 'Daten herunterladen' }).click()
	]);
	expect(download.suggestedFilename()).toMatch(/^partnernetz-daten-\d{4}-\d{2}-\d{2}\.json$/);
	const data = JSON.parse(await readFile(await download.path(), 'utf8')) as {
		profile: { company: string };
		login: { email: string };
	};
	expect(data.profile.company).toBe('Bäckerei Müller GmbH');

	// Closing: what happens is said first (the customer account's last day is the API's).
	const login = await request.post(`${API}/auth/login`, { data: { login: newEmail, password: NEW_PASSWORD } });
	const { access_token } = (await login.json()) as { access_token: string };
	const preview = await request.get(`${API}/partners/me/closure`, {
		headers: { authorization: `Bearer ${access_token}` }
	});
	const plan = (await preview.json()) as { customer_account: { last_day: string } };
	const lastDay = plan.customer_account.last_day.split('-').reverse().join('.');
	await page.getByRole('button', { name: 'Folgen ansehen' }).click();
	const closing = page.getByRole('group', { name: 'So wirkt sich das Schließen Ihres Partnerkontos heute aus.' });
	await expect(closing).toContainText(
		`Ihr digitales Kundenkonto wird gekündigt und läuft bis einschließlich ${lastDay}; das bezahlte Jahr wird nicht erstattet.`
	);
	await expect(closing).toContainText('Sie und alle Ihre Geräte werden sofort abgemeldet');
	await expect(closing).toContainText('Ihr Passwort wird sofort gelöscht');
	await look(page, 'partner-konto-schliessen');
	await closing.getByLabel('Ihr Passwort zur Bestätigung').fill(NEW_PASSWORD);
	await closing.getByRole('button', { name: 'Partnerkonto endgültig schließen' }).click();
	await expect(page.getByText('Ihr Partnerkonto ist geschlossen. Eine Bestätigung ist per E-Mail unterwegs.')).toBeVisible();

	// The login is refused, in German.
	await page.goto('/partner/anmelden');
	await logIn(page, newEmail, NEW_PASSWORD);
	await expect(page.getByRole('alert')).toContainText('Anmeldename oder Passwort ist falsch.');
});
