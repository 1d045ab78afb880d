// The cardholder: registers the card with the code printed on it, sets the password from the
// mail, logs in with the card number, sees the balance after a purchase at the till, changes
// the own data and withdraws the consent to the statistics, blocks the lost card, deletes
// the account.

import { expect, test, type APIRequestContext } from '@playwright/test';
import { API, PASSWORD, linkMailedTo, look, signUp, uniqueEmail } from './kit';

const OPERATOR_EMAIL = process.env.OPERATOR_EMAIL ?? 'olga@betreiber.example.de';
const OPERATOR_PASSWORD = process.env.OPERATOR_PASSWORD ?? 'betreiber-passwort-1';
const HOLDER_PASSWORD = 'karten-passwort-1';
const TILL_PASSWORD = 'kassen-passwort-1';

type Headers = Record<string, string>;

async function bearer(
	request: APIRequestContext,
	data: { login: string; password: string; scope?: string; tenant?: string }
): Promise<Headers> {
	const reply = await request.post(`${API}/auth/login`, { data: { scope: 'platform', ...data } });
	expect(reply.status(), await reply.text()).toBe(200);
	const { access_token } = (await reply.json()) as { access_token: string };
	return { authorization: `Bearer ${access_token}` };
}

interface Shop {
	id: string;
	partner: Headers;
	till: Headers;
	/** As printed on the card and in the print shop's file: blocks of four. */
	printed: string;
	code: string;
}

/** A bakery with a card contract, a bonus program (1 point per euro, points expire after 24
 *  months), a batch of cards from the print shop's file and a till login, set up through the
 *  API as the operator, the partner and the terminal user would. */
async function bakery(request: APIRequestContext): Promise<Shop> {
	const operator = await bearer(request, { login: OPERATOR_EMAIL, password: OPERATOR_PASSWORD });
	const price = await request.put(`${API}/cards/price`, {
		headers: operator,
		data: { fee_per_terminal_user_cents: 990 }
	});
	expect(price.status(), await price.text()).toBe(200);

	const email = uniqueEmail('baeckerei');
	await signUp(request, email);
	const confirm = new URL(await linkMailedTo(request, email, '/registrierung/bestaetigen'));
	const confirmed = await request.post(`${API}/partners/confirm`, {
		data: { token: confirm.searchParams.get('token') }
	});
	expect(confirmed.ok(), await confirmed.text()).toBe(true);
	const partner = await bearer(request, { login: email, password: PASSWORD });
	const me = (await (await request.get(`${API}/partners/me`, { headers: partner })).json()) as {
		id: string;
	};

	const contract = await request.post(`${API}/cards/contract`, { headers: partner });
	expect(contract.status(), await contract.text()).toBe(201);
	const program = await request.post(`${API}/cards/programs`, {
		headers: partner,
		data: {
			name: 'Brötchen-Bonus',
			rules: { kind: 'bonus', points_per_euro: 1, point_value_cents: 1, expiry_months: 24 }
		}
	});
	expect(program.status(), await program.text()).toBe(201);
	const { program_id } = (await program.json()) as { program_id: string };
	const batch = await request.post(`${API}/cards/programs/${program_id}/batches`, {
		headers: partner,
		data: { count: 3 }
	});
	expect(batch.status(), await batch.text()).toBe(201);
	const { csv_url } = (await batch.json()) as { csv_url: string };
	// The print shop's file: `Kartennummer;Aktivierungscode`, one card a line.
	const csv = await (await request.get(csv_url)).text();
	const [printed, code] = (csv.split(/\r?\n/)[1] ?? '').split(';');

	const tillEmail = uniqueEmail('kasse');
	const invited = await request.post(`${API}/cards/terminal-users`, {
		headers: partner,
		data: { username: 'kasse-1', name: 'Kasse Mitte', email: tillEmail }
	});
	expect(invited.status(), await invited.text()).toBe(201);
	const tillLink = new URL(await linkMailedTo(request, tillEmail, '/einladung'));
	const accepted = await request.post(`${API}/auth/invitations/accept`, {
		data: { token: tillLink.searchParams.get('token'), password: TILL_PASSWORD }
	});
	expect(accepted.ok(), await accepted.text()).toBe(true);
	const till = await bearer(request, {
		login: 'kasse-1',
		password: TILL_PASSWORD,
		scope: 'pos',
		tenant: me.id
	});
	return { id: me.id, partner, till, printed: printed ?? '', code: code ?? '' };
}

async function book(
	request: APIRequestContext,
	shop: Shop,
	key: string,
	data: Record<string, unknown>
): Promise<number> {
	const number = shop.printed.replace(/\s/g, '');
	const reply = await request.post(`${API}/cards/pos/cards/${number}/bookings`, {
		headers: { ...shop.till, 'idempotency-key': key },
		data
	});
	return reply.status();
}

async function counted(request: APIRequestContext, shop: Shop): Promise<number> {
	const reply = await request.get(`${API}/cards/statistics`, { headers: shop.partner });
	expect(reply.status(), await reply.text()).toBe(200);
	return ((await reply.json()) as { cardholders_counted: number }).cardholders_counted;
}

test('a cardholder registers the card, sees the balance, changes the data, blocks the card and deletes the account', async ({
	page,
	request
}) => {
	const shop = await bakery(request);
	const email = uniqueEmail('anna');
	expect(shop.printed).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);

	// Registration with the number and the code printed on the card.
	await page.goto(`/karte/${shop.id}/registrieren`);
	await expect(page.getByRole('heading', { name: 'Kundenkarte registrieren' })).toBeVisible();
	const statistics = page.getByRole('checkbox', { name: /Statistik/ });
	await expect(statistics).not.toBeChecked();
	await look(page, 'karte-registrieren');
	await page.getByLabel('Kartennummer').fill(shop.printed);
	await page.getByLabel('Aktivierungscode').fill(shop.code);
	await page.getByLabel('Vorname').fill('Anna');
	await page.getByLabel('Nachname').fill('Schmidt');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Geschlecht (freiwillig)').selectOption('weiblich');
	await page.getByLabel('Geburtsjahr (freiwillig)').fill('1988');
	await page.getByLabel('Postleitzahl (freiwillig)').fill('50667');
	// Without the consent to storing the data nothing is registered, and the page says so at
	// the checkbox.
	await page.getByRole('button', { name: 'Karte registrieren' }).click();
	await expect(page.locator('#feld-consent-fehler')).toHaveText(
		'Ohne Einwilligung ist keine Registrierung möglich'
	);
	await look(page, 'karte-registrieren-einwilligung');
	await page.getByRole('checkbox', { name: /Kundenkarten-Programm/ }).check();
	await statistics.check();
	await page.getByRole('button', { name: 'Karte registrieren' }).click();
	await expect(page.getByRole('status')).toContainText('Ihre Karte ist registriert.');
	await look(page, 'karte-registriert');

	// The mail's link sets the password, then leads to this merchant's cardholder login.
	const link = await linkMailedTo(request, email, '/einladung');
	expect(new URL(link).searchParams.get('weiter')).toBe(`/karte/${shop.id}/anmelden`);
	await page.goto(link);
	await page.getByLabel('Neues Passwort').fill(HOLDER_PASSWORD);
	await page.getByLabel('Passwort wiederholen').fill(HOLDER_PASSWORD);
	await page.getByRole('button', { name: 'Passwort festlegen' }).click();
	await page.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await expect(page).toHaveURL(new RegExp(`/karte/${shop.id}/anmelden$`));
	await expect(page.getByText('30 Tage angemeldet')).toBeVisible();
	await look(page, 'karte-anmelden');

	// A purchase of 23,50 € at the till.
	expect(await book(request, shop, 'kauf-1', { type: 'earn', amount_cents: 2350 })).toBe(201);

	// The login: the card number as printed and the password.
	await page.getByLabel('Kartennummer').fill(shop.printed);
	await page.getByLabel('Passwort').fill(HOLDER_PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page).toHaveURL(new RegExp(`/karte/${shop.id}$`));
	await expect(page.getByRole('heading', { name: 'Brötchen-Bonus' })).toBeVisible();
	await expect(page.getByTestId('stand')).toHaveText('23 Punkte');
	await expect(page.getByTestId('status')).toHaveText('aktiv');
	const holder = await bearer(request, {
		login: shop.printed.replace(/\s/g, ''),
		password: HOLDER_PASSWORD,
		scope: 'cardholder',
		tenant: shop.id
	});
	const mine = (await (await request.get(`${API}/cards/me`, { headers: holder })).json()) as {
		points_expiring: { expires_on: string; points: number }[];
		history: { booked_at: string }[];
	};
	const [year, month, day] = (mine.points_expiring[0]?.expires_on ?? '').split('-');
	await expect(page.getByTestId('verfall')).toHaveText(`23 Punkte verfallen am ${day}.${month}.${year}`);
	const bookedOn = new Intl.DateTimeFormat('de-DE', {
		timeZone: 'Europe/Berlin',
		day: '2-digit',
		month: '2-digit',
		year: 'numeric'
	}).format(new Date(mine.history[0]?.booked_at ?? ''));
	const history = page.getByTestId('verlauf').getByRole('listitem');
	await expect(history).toHaveCount(1);
	await expect(history.first()).toHaveText(
		new RegExp(`^${bookedOn.replace(/\./g, '\\.')}\\s*Punkte gesammelt, Einkauf 23,50 €\\s*\\+23 Punkte$`)
	);
	await look(page, 'karte');

	// The own data: a typo is named at its field, then the change is saved and the consent
	// to the statistics withdrawn.
	expect(await counted(request, shop)).toBe(1);
	await page.getByRole('link', { name: 'Meine Daten ändern' }).click();
	await expect(page.getByRole('heading', { name: 'Meine Daten' })).toBeVisible();
	await expect(page.getByLabel('Nachname')).toHaveValue('Schmidt');
	const consent = page.getByRole('checkbox', { name: /Statistik/ });
	await expect(consent).toBeChecked();
	await look(page, 'karte-daten');
	await page.getByLabel('Nachname').fill('Schmidt-Weber');
	await page.getByLabel('Postleitzahl (freiwillig)').fill('1011');
	await page.getByRole('button', { name: 'Speichern' }).click();
	await expect(page.locator('#feld-postal_code-fehler')).toHaveText('muss aus fünf Ziffern bestehen');
	await expect(page.getByLabel('Postleitzahl (freiwillig)')).toHaveAttribute('aria-invalid', 'true');
	await look(page, 'karte-daten-fehler');
	await page.getByLabel('Postleitzahl (freiwillig)').fill('10115');
	await consent.uncheck();
	await page.getByRole('button', { name: 'Speichern' }).click();
	await expect(page.getByRole('status')).toHaveText(
		'Ihre Daten sind gespeichert. Sie werden in der Statistik des Händlers nicht gezählt.'
	);
	expect(await counted(request, shop)).toBe(0);
	// After a reload the session comes back from the cookie and shows what is stored.
	await page.reload();
	await expect(page.getByLabel('Nachname')).toHaveValue('Schmidt-Weber');
	await expect(page.getByLabel('Postleitzahl (freiwillig)')).toHaveValue('10115');
	await expect(consent).not.toBeChecked();
	await look(page, 'karte-daten-gespeichert');

	// The card is lost: blocked after the page said what that means.
	await page.getByRole('link', { name: 'Zurück zur Karte' }).click();
	await page.getByRole('link', { name: 'Karte sperren' }).click();
	await expect(page.getByText('Ihr Stand bleibt erhalten')).toBeVisible();
	await look(page, 'karte-sperren');
	await page.getByRole('button', { name: 'Karte jetzt sperren' }).click();
	await expect(page.getByRole('status')).toContainText(`Ihre Karte ${shop.printed} ist gesperrt.`);
	await look(page, 'karte-gesperrt');
	expect(await book(request, shop, 'kauf-2', { type: 'earn', amount_cents: 1000 })).toBe(422);
	await page.getByRole('link', { name: 'Zurück zur Karte' }).click();
	await expect(page.getByTestId('status')).toHaveText('gesperrt');
	await expect(page.getByTestId('stand')).toHaveText('23 Punkte');
	await expect(page.getByRole('link', { name: 'Karte sperren' })).toHaveCount(0);

	// The account is deleted after the page said what that means.
	await page.getByRole('link', { name: 'Konto löschen' }).click();
	await expect(page.getByText('Das lässt sich nicht rückgängig machen.')).toBeVisible();
	await look(page, 'karte-loeschen');
	await page.getByRole('button', { name: 'Konto endgültig löschen' }).click();
	await expect(page).toHaveURL(new RegExp(`/karte/${shop.id}/geloescht$`));
	await expect(page.getByRole('heading', { name: 'Ihr Konto ist gelöscht' })).toBeVisible();
	await look(page, 'karte-geloescht');

	// Nothing is left to log in to.
	await page.goto(`/karte/${shop.id}`);
	await expect(page).toHaveURL(new RegExp(`/karte/${shop.id}/anmelden\\?weiter=`));
	await page.getByLabel('Kartennummer').fill(shop.printed);
	await page.getByLabel('Passwort').fill(HOLDER_PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByRole('alert')).toBeVisible();
	await expect(page).toHaveURL(/\/anmelden/);
	const gone = await request.get(`${API}/cards/me`, { headers: holder });
	expect(gone.status()).toBe(401);
});

test('without a session the card page asks for the login and comes back', async ({
	page,
	request
}) => {
	const shop = await bakery(request);
	const email = uniqueEmail('bert');
	const registered = await request.post(`${API}/cards/register`, {
		data: {
			number: shop.printed,
			activation_code: shop.code,
			first_name: 'Bert',
			last_name: 'Beispiel',
			email,
			consent: true
		}
	});
	expect(registered.status(), await registered.text()).toBe(201);
	const link = new URL(await linkMailedTo(request, email, '/einladung'));
	const accepted = await request.post(`${API}/auth/invitations/accept`, {
		data: { token: link.searchParams.get('token'), password: HOLDER_PASSWORD }
	});
	expect(accepted.ok(), await accepted.text()).toBe(true);

	await page.goto(`/karte/${shop.id}/daten`);
	await expect(page).toHaveURL(new RegExp(`/karte/${shop.id}/anmelden\\?weiter=`));
	// A typo in the number is caught by its check digit before anything is sent.
	const digits = shop.printed.replace(/\s/g, '');
	const typo = digits.slice(0, -1) + String((Number(digits.slice(-1)) + 1) % 10);
	await page.getByLabel('Kartennummer').fill(typo);
	await page.getByLabel('Passwort').fill(HOLDER_PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.locator('#feld-login-fehler')).toContainText('Prüfziffer stimmt nicht');
	await page.getByLabel('Kartennummer').fill(digits);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page).toHaveURL(new RegExp(`/karte/${shop.id}/daten$`));
	await expect(page.getByLabel('Vorname')).toHaveValue('Bert');
	// Registered without the consent to the statistics: not ticked, and not counted.
	await expect(page.getByRole('checkbox', { name: /Statistik/ })).not.toBeChecked();
	expect(await counted(request, shop)).toBe(0);
});
