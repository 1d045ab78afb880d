// What the partner portal's journeys share: the operator's login and the partner's bearer
// for what another audience does through the API, a platform to apply to, the portal's login
// form, customers of the digital customer account, and days written as the API and the app
// write them (never from this machine's clock: the days come from the API's answers).

import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { API, PASSWORD, uniqueEmail } from './kit';

export const OPERATOR_EMAIL = process.env.OPERATOR_EMAIL ?? 'olga@betreiber.example.de';
export const OPERATOR_PASSWORD = process.env.OPERATOR_PASSWORD ?? 'betreiber-passwort-1';

export type Headers = Record<string, string>;

/** The authorization header of a login on the platform scope (partner or operator). */
export async function bearer(request: APIRequestContext, login: string, password: string): Promise<Headers> {
	const reply = await request.post(`${API}/auth/login`, { data: { login, password, scope: 'platform' } });
	expect(reply.status(), await reply.text()).toBe(200);
	const { access_token } = (await reply.json()) as { access_token: string };
	return { authorization: `Bearer ${access_token}` };
}

/** The operator, logged in through the API. */
export function operatorBearer(request: APIRequestContext): Promise<Headers> {
	return bearer(request, OPERATOR_EMAIL, OPERATOR_PASSWORD);
}

/** A bank platform created by the operator, with its monthly fee: its id. */
export async function platform(
	request: APIRequestContext,
	operator: Headers,
	name: string,
	monthlyFeeCents = 4900
): Promise<string> {
	const created = await request.post(`${API}/platforms`, {
		headers: operator,
		data: { name, monthly_fee_cents: monthlyFeeCents }
	});
	expect(created.status(), await created.text()).toBe(201);
	return ((await created.json()) as { id: string }).id;
}

/** The portal's login form, wherever it was asked for. */
export async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(password);
	await page.getByRole('button', { name: 'Anmelden' }).click();
}

/** A customer of the digital customer account, invited through the API as the partner. */
export async function addCustomer(
	request: APIRequestContext,
	auth: Headers,
	first: string,
	last: string
): Promise<void> {
	const created = await request.post(`${API}/file-links/customers`, {
		headers: auth,
		data: {
			first_name: first,
			last_name: last,
			email: uniqueEmail(first.toLowerCase().replace(/\W/g, '')),
			folder_url: 'https://cloud.example.de/s/ordner'
		}
	});
	expect(created.status(), await created.text()).toBe(201);
}

/** A customer invited through the customer account page's form. */
export async function inviteCustomer(
	page: Page,
	first: string,
	last: string,
	email: string,
	extra: Partial<Record<string, string>> = {}
): Promise<void> {
	const form = page.getByRole('form', { name: 'Kunden einladen' });
	await form.getByLabel('Vorname').fill(first);
	await form.getByLabel('Nachname').fill(last);
	await form.getByLabel('E-Mail-Adresse').fill(email);
	await form.getByLabel('Benutzername (optional)').fill(extra.username ?? '');
	await form.getByLabel('Link zum Ordner').fill(extra.folder ?? 'https://cloud.example.de/s/ordner');
	await form.getByLabel('Ordner-Passwort (optional)').fill(extra.password ?? '');
	await form.getByRole('button', { name: 'Einladen' }).click();
}

/** `2026-12-06` → `06.12.2026`. */
export function german(day: string): string {
	return day.split('-').reverse().join('.');
}

/** The civil day `n` days after `day`, by the calendar alone. */
export function addDays(day: string, n: number): string {
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** `2027-01` → `Januar 2027`. */
export function monthName(month: string): string {
	const [y, m] = month.split('-').map(Number) as [number, number];
	return new Intl.DateTimeFormat('de-DE', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
		new Date(Date.UTC(y, m - 1, 1))
	);
}
