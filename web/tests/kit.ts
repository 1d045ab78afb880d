// What every journey needs: the API beside the app, the local outbox, and the checks each page
// passes (no serious accessibility violation, no horizontal scrolling, a screenshot at phone
// and desktop size under target/screenshots).

import AxeBuilder from '@axe-core/playwright';
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

export const API = process.env.API_URL ?? 'http://127.0.0.1:3000';
export const PASSWORD = 'geheimes-passwort-1';

const SIZES = [
	{ name: 'telefon', width: 390, height: 844 },
	{ name: 'desktop', width: 1280, height: 800 }
] as const;

/** A fresh address for each journey, so runs never meet each other's accounts. */
export function uniqueEmail(name: string): string {
	return `${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.de`;
}

interface OutboxMail {
	to: string;
	subject: string;
	text: string;
}

/** The link the newest mail to `to` carries to the app's `path`. */
export async function linkMailedTo(
	request: APIRequestContext,
	to: string,
	path: string
): Promise<string> {
	let found: string | undefined;
	await expect
		.poll(
			async () => {
				const reply = await request.get(`${API}/_dev/outbox`);
				const { mails } = (await reply.json()) as { mails: OutboxMail[] };
				const mine = mails.filter((m) => m.to === to).reverse();
				for (const mail of mine) {
					const match = new RegExp(`https?://[^\\s"<>]*${path}[^\\s"<>]*`).exec(mail.text);
					if (match) {
						found = match[0];
						return true;
					}
				}
				return false;
			},
			{ message: `a mail to ${to} linking to ${path}` }
		)
		.toBe(true);
	return found ?? '';
}

/** A partner signed up through the API, as the sign-up form would. */
export async function signUp(request: APIRequestContext, email: string): Promise<void> {
	const reply = await request.post(`${API}/partners`, {
		data: {
			company: 'Bäckerei Müller GmbH',
			contact_name: 'Anna Müller',
			email,
			password: PASSWORD,
			accept_terms: true
		}
	});
	expect(reply.status()).toBe(202);
}

/** The checks of a page as users meet it, at both sizes, with its screenshots. */
export async function look(page: Page, name: string): Promise<void> {
	mkdirSync('../target/screenshots', { recursive: true });
	for (const size of SIZES) {
		await page.setViewportSize({ width: size.width, height: size.height });
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - document.documentElement.clientWidth
		);
		expect(overflow, `${name} scrolls sideways at ${size.width} px`).toBeLessThanOrEqual(0);
		const axe = await new AxeBuilder({ page }).analyze();
		const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
		expect(bad.map((v) => `${v.id}: ${v.help}`), `${name} at ${size.width} px`).toEqual([]);
		await page.screenshot({ path: `../target/screenshots/${name}-${size.name}.png`, fullPage: true });
	}
	await page.setViewportSize({ width: 1280, height: 800 });
}

/** A partner signed up, confirmed and logged in through the API: its bearer token. */
export async function confirmedPartner(request: APIRequestContext, email: string): Promise<string> {
	await signUp(request, email);
	const link = await linkMailedTo(request, email, '/registrierung/bestaetigen');
	const token = new URL(link).searchParams.get('token');
	const confirmed = await request.post(`${API}/partners/confirm`, { data: { token } });
	expect(confirmed.status()).toBe(200);
	const login = await request.post(`${API}/auth/login`, { data: { login: email, password: PASSWORD } });
	expect(login.status()).toBe(200);
	return ((await login.json()) as { access_token: string }).access_token;
}
