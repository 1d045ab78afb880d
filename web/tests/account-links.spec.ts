// The pages every account mail links to, from the mail in the outbox to the result on screen.

import { expect, test } from '@playwright/test';
import { API, PASSWORD, linkMailedTo, look, signUp, uniqueEmail } from './kit';

test('a partner confirms the address from the mail, then logs in', async ({ page, request }) => {
	const email = uniqueEmail('anna');
	await signUp(request, email);
	const link = await linkMailedTo(request, email, '/registrierung/bestaetigen');

	await page.goto(link);
	await expect(page.getByText('Ihre E-Mail-Adresse ist bestätigt')).toBeVisible();
	await look(page, 'registrierung-bestaetigt');

	// The same link again: used, said in German, no raw error.
	await page.goto(link);
	await expect(page.getByRole('alert')).toBeVisible();
	await expect(page.getByRole('alert')).not.toContainText('Error');
	await look(page, 'registrierung-link-verbraucht');

	await page.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await expect(page).toHaveURL(/\/partner\/anmelden\?weiter=\/partner$/);
	await look(page, 'partner-anmelden');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByText('Angemeldet als')).toContainText('Bäckerei Müller GmbH');
	await look(page, 'partner-start');

	// The token lives in memory only: no storage of the browser holds it (a JWT starts `eyJ`).
	const stored = await page.evaluate(() =>
		[localStorage, sessionStorage].flatMap((s) => Object.values(s) as string[]).join('\n')
	);
	expect(stored).not.toContain('eyJ');
	// The refresh token is a cookie no script can read, sent only to the API's /auth.
	const cookies = await page.context().cookies();
	expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([
		['pn_refresh', true, 'Strict', '/auth']
	]);

	// A reload forgets the access token; the session goes on through the refresh cookie.
	await page.reload();
	await expect(page.getByText('Angemeldet als')).toContainText('Bäckerei Müller GmbH');

	// Logging out ends it: the partner's page asks for the login again.
	await page.getByRole('button', { name: 'Abmelden' }).click();
	await expect(page).toHaveURL(/\/partner\/anmelden$/);
	await page.goto('/partner');
	await expect(page).toHaveURL(/\/partner\/anmelden\?weiter=\/partner$/);
	expect(await page.context().cookies()).toEqual([]);
});

test('a wrong password is said at the form, and what was typed stays', async ({ page, request }) => {
	const email = uniqueEmail('bernd');
	await signUp(request, email);
	await page.goto(await linkMailedTo(request, email, '/registrierung/bestaetigen'));
	await expect(page.getByText('Ihre E-Mail-Adresse ist bestätigt')).toBeVisible();

	await page.goto('/partner/anmelden');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill('falsches-passwort-9');
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByRole('alert')).toBeVisible();
	await expect(page.getByLabel('E-Mail-Adresse')).toHaveValue(email);
	await look(page, 'partner-anmelden-fehler');

	// The network fails: the page says so in German and keeps the input.
	await page.route(`${API}/auth/login`, (route) => route.abort('internetdisconnected'));
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByRole('alert')).toContainText('Verbindung ist unterbrochen');
	await expect(page.getByLabel('Passwort')).toHaveValue(PASSWORD);
	await page.unroute(`${API}/auth/login`);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByText('Angemeldet als')).toBeVisible();
});

test('a forgotten password is reset from the mailed link', async ({ page, request }) => {
	const email = uniqueEmail('clara');
	await signUp(request, email);
	await page.goto(await linkMailedTo(request, email, '/registrierung/bestaetigen'));
	await expect(page.getByText('Ihre E-Mail-Adresse ist bestätigt')).toBeVisible();

	await page.goto('/partner/anmelden');
	await page.getByRole('link', { name: 'Passwort vergessen?' }).click();
	await expect(page).toHaveURL(/\/passwort-vergessen$/);
	await look(page, 'passwort-vergessen');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByRole('button', { name: 'Link anfordern' }).click();
	await expect(page.getByText('haben wir Ihnen einen Link geschickt')).toBeVisible();

	await page.goto(await linkMailedTo(request, email, '/passwort-zuruecksetzen'));
	await look(page, 'passwort-zuruecksetzen');
	// Too short: said at the field by the API's own rule.
	await page.getByLabel('Neues Passwort').fill('kurz');
	await page.getByLabel('Passwort wiederholen').fill('kurz');
	await page.getByRole('button', { name: 'Passwort speichern' }).click();
	await expect(page.locator('#feld-password-fehler')).toBeVisible();
	await look(page, 'passwort-zuruecksetzen-fehler');

	const fresh = 'ganz-neues-passwort-2';
	await page.getByLabel('Neues Passwort').fill(fresh);
	await page.getByLabel('Passwort wiederholen').fill(fresh);
	await page.getByRole('button', { name: 'Passwort speichern' }).click();
	await expect(page.getByText('Ihr Passwort wurde gespeichert')).toBeVisible();

	await page.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(fresh);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByText('Angemeldet als')).toBeVisible();
});

test('the start page and an unknown path answer in German', async ({ page }) => {
	await page.goto('/');
	await expect(page.getByRole('heading', { name: 'Willkommen bei partnernetz' })).toBeVisible();
	await look(page, 'start');
	const reply = await page.goto('/gibt-es-nicht');
	expect(reply?.status()).toBe(200);
	await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
	await look(page, 'nicht-gefunden');
});
