// The till: from the terminal user's invitation mail to bookings on a card, keyboard only,
// with a lost answer on the network that is sent again under its key and booked once.

import { expect, test, type Request } from '@playwright/test';
import { API, linkMailedTo, look } from './kit';
import { TILL_PASSWORD, acceptTillInvitation, merchantWithTill } from './merchant';

/** The same number with its last (check) digit changed: a typo the Luhn digit catches. */
function typo(number: string): string {
	const last = Number(number.slice(-1));
	return number.slice(0, -1) + String((last + 1) % 10);
}

test('a terminal user accepts the invitation, logs in at the till, books and voids', async ({
	page,
	request
}) => {
	const merchant = await merchantWithTill(request);
	const card = merchant.cards[0] ?? '';
	const cardRequests: Request[] = [];
	page.on('request', (r) => {
		if (r.url().startsWith(`${API}/cards/pos/`) && r.method() !== 'OPTIONS') {
			cardRequests.push(r);
		}
	});

	// The mail's link sets the password, then leads to this merchant's till.
	const link = await linkMailedTo(request, merchant.tillEmail, '/einladung');
	expect(new URL(link).searchParams.get('weiter')).toBe(`/kasse/${merchant.id}/anmelden`);
	await page.goto(link);
	await page.getByLabel('Neues Passwort').fill(TILL_PASSWORD);
	await page.getByLabel('Passwort wiederholen').fill(TILL_PASSWORD);
	await page.getByRole('button', { name: 'Passwort festlegen' }).click();
	await page.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await expect(page).toHaveURL(new RegExp(`/kasse/${merchant.id}/anmelden$`));
	await expect(page.getByRole('heading', { name: 'An der Kasse anmelden' })).toBeVisible();
	await look(page, 'kasse-anmelden');

	// Username and password only: the merchant comes from the URL.
	await page.getByLabel('Benutzername').fill('kasse-1');
	await page.getByLabel('Passwort').fill(TILL_PASSWORD);
	await page.getByLabel('Passwort').press('Enter');
	await expect(page).toHaveURL(new RegExp(`/kasse/${merchant.id}$`));
	const number = page.getByLabel('Kartennummer');
	await expect(number).toBeFocused();
	await look(page, 'kasse');

	// A typo in the number: said at the field, and nothing is asked of the API.
	await page.keyboard.type(typo(card));
	await page.keyboard.press('Enter');
	await expect(page.locator('#kartennummer-fehler')).toContainText('Prüfziffer stimmt nicht');
	await expect(number).toHaveAttribute('aria-invalid', 'true');
	expect(cardRequests).toEqual([]);
	await look(page, 'kasse-pruefziffer');

	// As a keyboard-wedge scanner sends it: the digits, then Enter.
	await number.fill('');
	await page.keyboard.type(card);
	await page.keyboard.press('Enter');
	await expect(page.getByRole('heading', { name: 'Brötchen-Bonus' })).toBeVisible();
	await expect(page.getByTestId('stand')).toHaveText('0 Punkte');
	await expect(page.getByText('nicht registriert')).toBeVisible();
	await expect(page.getByText('aktiv', { exact: true })).toBeVisible();
	await look(page, 'kasse-karte');

	// Two actions: the purchase amount, Enter.
	await expect(page.getByLabel('Einkaufsbetrag in €')).toBeFocused();
	await page.keyboard.type('23,50');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status').filter({ hasText: 'Gebucht' })).toContainText(
		'Punkte gesammelt: +23 Punkte. Neuer Stand: 23 Punkte.'
	);
	await expect(page.getByTestId('stand')).toHaveText('23 Punkte');
	await look(page, 'kasse-gebucht');

	// Void today's booking: the points are taken back.
	await page.getByRole('button', { name: 'Stornieren' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Gebucht' })).toContainText(
		'Neuer Stand: 0 Punkte.'
	);
	await expect(page.getByTestId('stand')).toHaveText('0 Punkte');
	await expect(page.getByText('(storniert)')).toBeVisible();
	await look(page, 'kasse-storniert');

	// After a reload the till still lists the card's bookings of today, from the API.
	await page.reload();
	await expect(number).toBeFocused();
	await page.keyboard.type(card);
	await page.keyboard.press('Enter');
	const today = page.getByRole('list').filter({ hasText: 'Storno' });
	await expect(today.getByRole('listitem')).toHaveCount(2);
	await expect(today.getByRole('listitem').first()).toContainText('Storno: −23 Punkte');
	await expect(today.getByRole('listitem').last()).toContainText(
		'Punkte gesammelt: +23 Punkte (storniert)'
	);
	await expect(page.getByRole('button', { name: 'Stornieren' })).toHaveCount(0);

	const bookings = cardRequests.filter((r) => r.method() === 'POST');
	expect(bookings).toHaveLength(2);
	const keys = bookings.map((r) => r.headers()['idempotency-key']);
	expect(new Set(keys).size).toBe(2);
});

test('a booking whose answer is lost is sent again under its key and booked once', async ({
	page,
	request
}) => {
	const merchant = await merchantWithTill(request);
	const card = merchant.cards[1] ?? '';
	await acceptTillInvitation(request, merchant);

	// Without a session the till asks for the login and comes back.
	await page.goto(`/kasse/${merchant.id}`);
	await expect(page).toHaveURL(new RegExp(`/kasse/${merchant.id}/anmelden\\?weiter=`));
	await page.getByLabel('Benutzername').fill('kasse-1');
	await page.getByLabel('Passwort').fill(TILL_PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByLabel('Kartennummer')).toBeFocused();

	await page.keyboard.type(card);
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('stand')).toHaveText('0 Punkte');

	// The first booking reaches the API and books, but its answer never arrives.
	const sent: string[] = [];
	let lost = false;
	await page.route(`${API}/cards/pos/cards/*/bookings`, async (route) => {
		if (route.request().method() !== 'POST') {
			await route.continue();
			return;
		}
		sent.push(route.request().headers()['idempotency-key'] ?? '');
		if (!lost) {
			lost = true;
			await route.fetch();
			await route.abort('internetdisconnected');
			return;
		}
		await route.continue();
	});
	await page.keyboard.type('10');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status').filter({ hasText: 'Gebucht' })).toContainText(
		'Neuer Stand: 10 Punkte.'
	);
	expect(sent).toHaveLength(2);
	expect(sent[0]).toMatch(/^[0-9a-f-]{36}$/);
	expect(sent[1]).toBe(sent[0]);
	await page.unroute(`${API}/cards/pos/cards/*/bookings`);

	// Looked up again: the card holds the booking once.
	await page.getByLabel('Kartennummer').fill(card);
	await page.getByRole('button', { name: 'Karte anzeigen' }).click();
	await expect(page.getByTestId('stand')).toHaveText('10 Punkte');
	await expect(page.getByRole('button', { name: 'Stornieren' })).toHaveCount(1);

	// The network stays away: the cashier is told the booking is not confirmed, and sending
	// it again later books it once.
	await page.route(`${API}/cards/pos/cards/*/bookings`, (route) =>
		route.request().method() === 'POST'
			? route.abort('internetdisconnected')
			: route.continue()
	);
	await page.getByLabel('Einkaufsbetrag in €').fill('5');
	await page.getByLabel('Einkaufsbetrag in €').press('Enter');
	await expect(page.getByRole('alert')).toContainText('noch nicht bestätigt', { timeout: 15_000 });
	await look(page, 'kasse-unbestaetigt');
	await page.unroute(`${API}/cards/pos/cards/*/bookings`);
	await page.getByRole('button', { name: 'Erneut senden' }).click();
	await expect(page.getByTestId('stand')).toHaveText('15 Punkte');
});

test('where the browser reads barcodes, the camera finds the card', async ({ page, request }) => {
	const merchant = await merchantWithTill(request);
	const card = merchant.cards[0] ?? '';
	await acceptTillInvitation(request, merchant);

	// Chromium on Linux has no BarcodeDetector: the till offers no camera there.
	await page.goto(`/kasse/${merchant.id}/anmelden?weiter=/kasse/${merchant.id}`);
	await page.getByLabel('Benutzername').fill('kasse-1');
	await page.getByLabel('Passwort').fill(TILL_PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByLabel('Kartennummer')).toBeFocused();
	await expect(page.getByRole('button', { name: 'Mit Kamera scannen' })).toHaveCount(0);

	// A browser that has it (as on a tablet): a detector that sees the card's printed code
	// first in a frame with a stranger's code, and a camera drawn on a canvas.
	await page.addInitScript((code: string) => {
		let frames = 0;
		class Detector {
			async detect(): Promise<{ rawValue: string }[]> {
				frames += 1;
				return frames === 1 ? [{ rawValue: 'https://example.de/aktion' }] : [{ rawValue: code }];
			}
		}
		Object.defineProperty(window, 'BarcodeDetector', { value: Detector });
		navigator.mediaDevices.getUserMedia = async () => {
			const canvas = document.createElement('canvas');
			canvas.width = 64;
			canvas.height = 48;
			canvas.getContext('2d')?.fillRect(0, 0, 64, 48);
			return canvas.captureStream(10);
		};
	}, card);
	await page.reload();
	await page.getByRole('button', { name: 'Mit Kamera scannen' }).click();
	await expect(page.getByRole('heading', { name: 'Brötchen-Bonus' })).toBeVisible();
	await expect(page.getByLabel('Kartennummer')).toHaveValue(card.replace(/(\d{4})(?=\d)/g, '$1 '));
	await expect(page.getByRole('button', { name: 'Mit Kamera scannen' })).toBeVisible();
	await expect(page.getByLabel('Einkaufsbetrag in €')).toBeFocused();
	await look(page, 'kasse-kamera');
});

test('the till is a page of its own: back and forward work, another path of it says so in German', async ({
	page,
	request
}) => {
	const merchant = await merchantWithTill(request);
	await acceptTillInvitation(request, merchant);
	await page.goto(`/kasse/${merchant.id}`);
	// Without a session the till goes to its login, then back to the till.
	await expect(page).toHaveURL(new RegExp(`/kasse/${merchant.id}/anmelden\\?weiter=`));
	await expect(page).toHaveTitle('Kasse anmelden – partnernetz');
	await page.getByLabel('Benutzername').fill('kasse-1');
	await page.getByLabel('Passwort').fill(TILL_PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByLabel('Kartennummer')).toBeFocused();
	await page.goBack();
	await expect(page.getByRole('heading', { name: 'An der Kasse anmelden' })).toBeVisible();
	await page.goForward();
	await expect(page.getByLabel('Kartennummer')).toBeVisible();

	await page.goto(`/kasse/${merchant.id}/gibt-es-nicht`);
	await expect(page.getByRole('heading', { name: 'Seite nicht gefunden' })).toBeVisible();
	await page.getByRole('link', { name: 'Zur Startseite' }).click();
	await expect(page.getByRole('heading', { name: 'Willkommen bei partnernetz' })).toBeVisible();
});
