// A merchant with a card contract, a bonus program, cards and a terminal user, set up
// through the API as the operator and the partner would: for the till's journeys and its
// bench.

import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { API, PASSWORD, linkMailedTo, signUp, uniqueEmail } from './kit';
import { bearer, operatorBearer } from './portal-kit';

/** The terminal user's password once the invitation is accepted. */
export const TILL_PASSWORD = 'kassen-passwort-1';

export interface Merchant {
	id: string;
	cards: string[];
	tillEmail: string;
}

/** A bakery with a card contract, a bonus program (1 point per euro), two cards and a
 *  terminal user invited by mail, set up through the API as the operator and the partner
 *  would. */
export async function merchantWithTill(request: APIRequestContext): Promise<Merchant> {
	const operator = await operatorBearer(request);
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
	const partner = await bearer(request, email, PASSWORD);
	const me = (await (await request.get(`${API}/partners/me`, { headers: partner })).json()) as {
		id: string;
	};

	const contract = await request.post(`${API}/cards/contract`, { headers: partner });
	expect(contract.status(), await contract.text()).toBe(201);
	const program = await request.post(`${API}/cards/programs`, {
		headers: partner,
		data: {
			name: 'Brötchen-Bonus',
			rules: { kind: 'bonus', points_per_euro: 1, point_value_cents: 1 }
		}
	});
	expect(program.status(), await program.text()).toBe(201);
	const { program_id } = (await program.json()) as { program_id: string };
	const batch = await request.post(`${API}/cards/programs/${program_id}/batches`, {
		headers: partner,
		data: { count: 2 }
	});
	expect(batch.status(), await batch.text()).toBe(201);
	const { numbers } = (await batch.json()) as { numbers: string[] };

	const tillEmail = uniqueEmail('kasse');
	const invited = await request.post(`${API}/cards/terminal-users`, {
		headers: partner,
		data: { username: 'kasse-1', name: 'Kasse Mitte', email: tillEmail }
	});
	expect(invited.status(), await invited.text()).toBe(201);
	return { id: me.id, cards: numbers, tillEmail };
}

/** The terminal user's invitation accepted through the API: the till can log in. */
export async function acceptTillInvitation(
	request: APIRequestContext,
	merchant: Merchant
): Promise<void> {
	const link = await linkMailedTo(request, merchant.tillEmail, '/einladung');
	const accepted = await request.post(`${API}/auth/invitations/accept`, {
		data: { token: new URL(link).searchParams.get('token'), password: TILL_PASSWORD }
	});
	expect(accepted.ok(), await accepted.text()).toBe(true);
}

/** The terminal user of the mailed `invitation` sets the password, logs in at the till of
 *  `merchantId` and books 23,50 € on `card` of the program "Brötchen-Bonus": 23 points. */
export async function tillUserBooks(tillPage: Page, invitation: string, merchantId: string, card: string): Promise<void> {
	await tillPage.goto(invitation);
	await tillPage.getByLabel('Neues Passwort').fill(TILL_PASSWORD);
	await tillPage.getByLabel('Passwort wiederholen').fill(TILL_PASSWORD);
	await tillPage.getByRole('button', { name: 'Passwort festlegen' }).click();
	await tillPage.getByRole('link', { name: 'Zur Anmeldung' }).click();
	await tillPage.getByLabel('Benutzername').fill('kasse-1');
	await tillPage.getByLabel('Passwort').fill(TILL_PASSWORD);
	await tillPage.getByLabel('Passwort').press('Enter');
	await expect(tillPage).toHaveURL(new RegExp(`/kasse/${merchantId}$`));
	await tillPage.getByLabel('Kartennummer').fill(card);
	await tillPage.getByLabel('Kartennummer').press('Enter');
	await expect(tillPage.getByRole('heading', { name: 'Brötchen-Bonus' })).toBeVisible();
	await tillPage.getByLabel('Einkaufsbetrag in €').fill('23,50');
	await tillPage.getByLabel('Einkaufsbetrag in €').press('Enter');
	await expect(tillPage.getByRole('status').filter({ hasText: 'Gebucht' })).toContainText('Neuer Stand: 23 Punkte.');
}
