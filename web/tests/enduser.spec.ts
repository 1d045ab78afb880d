// The end user of a bank platform: the platform's offers without an account, sign-up with the
// terms, the password from the mailed invitation, login, joining a referral program and
// copying the link, a friend's click and purchase, the reward in the wallet, a payout as far
// as the wallet allows, and deleting the account.

import { expect, test, type APIRequestContext } from '@playwright/test';
import { API, PASSWORD, confirmedPartner, linkMailedTo, look, uniqueEmail } from './kit';

const OPERATOR_EMAIL = process.env.OPERATOR_EMAIL ?? 'olga@betreiber.example.de';
const OPERATOR_PASSWORD = process.env.OPERATOR_PASSWORD ?? 'betreiber-passwort-1';
const CHROME =
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

type Headers = Record<string, string>;

async function bearer(request: APIRequestContext, data: object): Promise<Headers> {
	const reply = await request.post(`${API}/auth/login`, { data });
	expect(reply.status(), await reply.text()).toBe(200);
	const { access_token } = (await reply.json()) as { access_token: string };
	return { authorization: `Bearer ${access_token}` };
}

/** Today and a day 60 days on as civil dates in Berlin (`2026-12-06`). */
function berlinDay(offsetDays = 0): string {
	const at = new Date(Date.now() + offsetDays * 86_400_000);
	return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin' }).format(at);
}

interface World {
	platform: string;
	platformName: string;
	/** The bakery's bearer header. */
	partner: Headers;
}

/** The operator's platform; a bakery approved on it with a mandate, and an offer in the feed
 *  with this month's premium placement. */
async function bakeryOnAPlatform(request: APIRequestContext): Promise<World> {
	const operator = await bearer(request, {
		login: OPERATOR_EMAIL,
		password: OPERATOR_PASSWORD,
		scope: 'platform'
	});
	const platformName = `Sparkasse Vorteilswelt ${Date.now().toString(36)}`;
	const created = await request.post(`${API}/platforms`, {
		headers: operator,
		data: { name: platformName, monthly_fee_cents: 4900 }
	});
	expect(created.status(), await created.text()).toBe(201);
	const platform = ((await created.json()) as { id: string }).id;

	const email = uniqueEmail('baeckerei');
	const partner = { authorization: `Bearer ${await confirmedPartner(request, email)}` };
	const me = (await (await request.get(`${API}/partners/me`, { headers: partner })).json()) as {
		id: string;
	};
	const mandate = await request.put(`${API}/partners/me/sepa-mandate`, {
		headers: partner,
		data: { account_holder: 'Bäckerei Müller GmbH', iban: 'DE89 3704 0044 0532 0130 00' }
	});
	expect(mandate.ok(), await mandate.text()).toBe(true);
	const applied = await request.post(`${API}/partners/me/platforms/${platform}`, {
		headers: partner
	});
	expect(applied.ok(), await applied.text()).toBe(true);
	const approved = await request.post(
		`${API}/platforms/${platform}/applications/${me.id}/decision`,
		{ headers: operator, data: { decision: 'approve' } }
	);
	expect(approved.ok(), await approved.text()).toBe(true);

	const offer = await request.post(`${API}/offers`, {
		headers: partner,
		data: {
			title: '15 % auf alle Torten',
			teaser: 'Für Kundinnen und Kunden der Sparkasse',
			description: 'Zeigen Sie den Gutschein an der Theke.',
			benefit: { kind: 'percent', value: 15 },
			online: { shop_url: 'https://shop.baeckerei.example/', discount_code: 'TORTE15' },
			in_store: { instructions: 'Gutschein an der Kasse zeigen.', coupon_code: 'TORTE15' },
			valid_from: berlinDay(),
			valid_to: berlinDay(60),
			categories: ['essen'],
			platforms: [platform]
		}
	});
	expect(offer.status(), await offer.text()).toBe(201);
	const offerId = ((await offer.json()) as { offer_id: string }).offer_id;
	const submitted = await request.post(`${API}/offers/${offerId}/submit`, { headers: partner });
	expect(submitted.ok(), await submitted.text()).toBe(true);
	const decided = await request.post(`${API}/platforms/${platform}/reviews/${offerId}/decision`, {
		headers: operator,
		data: { decision: 'approve', checks: { lawful: true, real_benefit: true } }
	});
	expect(decided.ok(), await decided.text()).toBe(true);
	const kind = await request.post(`${API}/platforms/${platform}/placement-kinds`, {
		headers: operator,
		data: { name: 'Top-Platzierung', price_cents: 4900, slots_per_month: 3 }
	});
	expect(kind.ok(), await kind.text()).toBe(true);
	const { kind_id } = (await kind.json()) as { kind_id: string };
	const placed = await request.post(`${API}/offers/${offerId}/placements`, {
		headers: partner,
		data: { platform_id: platform, kind_id, month: berlinDay().slice(0, 7) }
	});
	expect(placed.ok(), await placed.text()).toBe(true);
	return { platform, platformName, partner };
}

/** The bakery's live referral program (10 % of a purchase, 14 days' hold) on a landing
 *  domain proven by the TXT record local-api's DNS answers with; its shop's API key. */
async function referralProgram(
	request: APIRequestContext,
	partner: Headers
): Promise<{ apiKey: string; domain: string }> {
	// The landing domain, proven by the TXT record local-api's DNS answers with.
	const domain = `baeckerei-${Date.now().toString(36)}.example`;
	const listed = await request.put(`${API}/partners/me/referral-domains`, {
		headers: partner,
		data: { domains: [domain] }
	});
	expect(listed.ok(), await listed.text()).toBe(true);
	const [record] = ((await listed.json()) as { domains: { txt_name: string; txt_value: string }[] })
		.domains;
	const dns = await request.put(`${API}/_dev/dns-records`, {
		data: { name: record?.txt_name, value: record?.txt_value }
	});
	expect(dns.ok(), await dns.text()).toBe(true);
	const verified = await request.post(
		`${API}/partners/me/referral-domains/${domain}/verification`,
		{ headers: partner }
	);
	expect(verified.ok(), await verified.text()).toBe(true);
	const program = await request.post(`${API}/programs`, {
		headers: partner,
		data: {
			name: 'Freunde werben Freunde',
			landing_url: `https://shop.${domain}/aktion`,
			rewards: [{ event: 'purchase', reward: { kind: 'percent', basis_points: 1000 } }],
			attribution_days: 30,
			attribution: 'first',
			hold_days: 14,
			monthly_budget_cents: 50000
		}
	});
	expect(program.status(), await program.text()).toBe(201);
	const key = await request.post(`${API}/partners/me/api-keys`, {
		headers: partner,
		data: { label: 'Shop' }
	});
	expect(key.status(), await key.text()).toBe(201);
	return { apiKey: ((await key.json()) as { key: string }).key, domain };
}

test('an end user browses, signs up, recommends, sees the reward and deletes the account', async ({
	browser,
	page,
	request,
	context
}) => {
	const w = await bakeryOnAPlatform(request);
	const base = `/vorteile/${w.platform}`;

	// The offers without an account: the premium one, its benefit, the code on the way to
	// the shop, the coupon to print.
	await page.goto(base);
	await expect(page.getByText(`Vorteile von ${w.platformName}`)).toBeVisible();
	const offer = page.getByRole('listitem').filter({ hasText: '15 % auf alle Torten' });
	await expect(offer.getByText('Top-Angebot')).toBeVisible();
	await expect(offer.getByText('15 % Rabatt')).toBeVisible();
	await expect(offer.getByRole('link', { name: /Coupon \(PDF\)/ })).toHaveAttribute(
		'href',
		/\/coupon\.pdf\?platform_id=/
	);
	await offer.getByRole('button', { name: /Zum Shop/ }).click();
	await expect(offer.getByText('TORTE15')).toBeVisible();
	await expect(offer.getByRole('link', { name: /Weiter zum Shop/ })).toHaveAttribute(
		'href',
		'https://shop.baeckerei.example/'
	);
	await look(page, 'vorteile-angebote');

	// The terms of participation, in the version the sign-up accepts.
	await page.goto(`${base}/teilnahmebedingungen`);
	await expect(page.getByText('Fassung vom 01.12.2026')).toBeVisible();
	await look(page, 'vorteile-teilnahmebedingungen');
	await page.goto(base);

	// Sign up: the terms must be accepted, and are.
	const email = uniqueEmail('erika');
	await page.getByRole('navigation', { name: 'Vorteile' }).getByRole('link', { name: 'Registrieren' }).click();
	await page.getByLabel('Ihr Name').fill('Erika Mustermann');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByRole('button', { name: 'Registrieren' }).click();
	await expect(page.getByRole('alert')).toContainText('Teilnahmebedingungen müssen akzeptiert werden');
	await look(page, 'vorteile-registrieren');
	await page.getByRole('checkbox', { name: /Teilnahmebedingungen/ }).check();
	await page.getByRole('button', { name: 'Registrieren' }).click();
	await expect(page.getByText('Bitte prüfen Sie Ihr Postfach')).toBeVisible();

	// Meanwhile the bakery starts a referral program.
	const { apiKey, domain } = await referralProgram(request, w.partner);

	// The mail's link sets the password and leads on to this platform's login.
	const link = await linkMailedTo(request, email, '/einladung');
	expect(new URL(link).searchParams.get('weiter')).toBe(`${base}/anmelden`);
	await page.goto(link);
	await page.getByLabel('Neues Passwort').fill(PASSWORD);
	await page.getByLabel('Passwort wiederholen').fill(PASSWORD);
	await page.getByRole('button', { name: 'Passwort festlegen' }).click();
	await expect(page.getByRole('link', { name: 'Zur Anmeldung' })).toHaveAttribute(
		'href',
		`${base}/anmelden`
	);
	// A page that needs the login leads there and, once logged in, back.
	await page.goto(`${base}/empfehlen`);
	await expect(page).toHaveURL(new RegExp(`${base}/anmelden\\?weiter=`));
	await look(page, 'vorteile-anmelden');
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();

	// The programs to join; joining gives the own link, copied to the clipboard.
	await expect(page).toHaveURL(new RegExp(`${base}/empfehlen$`));
	const program = page.getByRole('listitem').filter({ hasText: 'Freunde werben Freunde' });
	await expect(program.getByText('Für einen Einkauf: 10 % des Einkaufswerts')).toBeVisible();
	await program.getByRole('button', { name: /Teilnehmen/ }).click();
	await expect(page.getByText('Sie nehmen an „Freunde werben Freunde“ teil.')).toBeVisible();
	await context.grantPermissions(['clipboard-read', 'clipboard-write']);
	await page.getByRole('button', { name: /Link kopieren/ }).click();
	await expect(page.getByText('ist in der Zwischenablage')).toBeVisible();
	const url = await page.evaluate(() => navigator.clipboard.readText());
	expect(url).toMatch(/\/r\/[A-Za-z0-9]+$/);
	await expect(page.getByText(url)).toBeVisible();
	await look(page, 'vorteile-empfehlen');

	// A friend follows the link in another browser: through the app and the API's redirect
	// to the bakery's landing page, which reports the purchase of 129,99 € with the click id
	// it got (the landing page itself is not fetched): 10 % is 13,00 €, pending in the hold.
	const friendContext = await browser.newContext({ userAgent: CHROME });
	const friend = await friendContext.newPage();
	// The landing page's domain is made up: the request to it is what counts here.
	const landing = friend.waitForRequest((r) => r.url().startsWith(`https://shop.${domain}/aktion?`));
	await friend.goto(url);
	const clickId = new URL((await landing).url()).searchParams.get('pn_click');
	expect(clickId).toBeTruthy();
	await friendContext.close();
	const converted = await request.post(`${API}/conversions`, {
		headers: { 'x-api-key': apiKey },
		data: { click_id: clickId, event: 'purchase', external_id: `B-${Date.now()}`, amount_cents: 12999 }
	});
	expect(converted.status(), await converted.text()).toBe(201);
	await page.reload();
	const mine = page.getByRole('listitem').filter({ hasText: url });
	await expect(mine.getByRole('definition').nth(0)).toHaveText('1');
	await expect(mine.getByRole('definition').nth(2)).toHaveText('13,00 €');

	// The wallet: the reward pending; a payout is refused until it is payable, and the IBAN
	// is checked as it is typed.
	await page.getByRole('navigation', { name: 'Vorteile' }).getByRole('link', { name: 'Guthaben' }).click();
	await expect(page.getByRole('definition').nth(0)).toHaveText('13,00 €');
	await expect(page.getByRole('definition').nth(2)).toHaveText('0,00 €');
	// Pending rewards are not yet in the ledger.
	await expect(page.getByText('Noch keine Buchungen.')).toBeVisible();
	await page.getByLabel('Betrag in Euro').fill('10,00');
	await page.getByLabel('Kontoinhaber').fill('Erika Mustermann');
	await page.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 01');
	await expect(page.getByText('Die Prüfziffern passen nicht')).toBeVisible();
	await page.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 00');
	await expect(page.getByText('Die Prüfziffern passen nicht')).toHaveCount(0);
	await page.getByRole('button', { name: 'Auszahlung beantragen' }).click();
	await expect(page.getByRole('alert')).toContainText('reicht für diese Auszahlung nicht aus');
	await look(page, 'vorteile-guthaben');

	// The account: the terms accepted today; deleting says what lapses, and needs the cash
	// given up.
	await page.getByRole('navigation', { name: 'Vorteile' }).getByRole('link', { name: 'Konto' }).click();
	const today = berlinDay().split('-').reverse().join('.');
	await expect(page.getByText(`in der Fassung vom 01.12.2026 am ${today}`)).toBeVisible();
	await expect(page.getByText('Es verfallen: 13,00 € vorgemerkt')).toBeVisible();
	await look(page, 'vorteile-konto');
	await page.getByLabel('Ihre E-Mail-Adresse zur Bestätigung').fill('jemand@example.de');
	await page.getByRole('button', { name: 'Konto endgültig löschen' }).click();
	await expect(page.getByText('stimmt nicht mit der Adresse Ihres Kontos überein')).toBeVisible();
	await page.getByLabel('Ihre E-Mail-Adresse zur Bestätigung').fill(email);
	await page.getByRole('button', { name: 'Konto endgültig löschen' }).click();
	await expect(page.getByText('Ihr Guthaben von 13,00 € verfällt mit dem Konto')).toBeVisible();
	await page.getByRole('checkbox', { name: 'Ich verzichte auf mein Guthaben von 13,00 €.' }).check();
	await page.getByRole('button', { name: 'Konto endgültig löschen' }).click();
	await expect(page.getByText('Ihr Konto ist gelöscht.')).toBeVisible();

	// Gone: the wallet asks for a login, which no longer works.
	await page.goto(`${base}/guthaben`);
	await expect(page).toHaveURL(new RegExp(`${base}/anmelden\\?weiter=`));
	await page.getByLabel('E-Mail-Adresse').fill(email);
	await page.getByLabel('Passwort').fill(PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	await expect(page.getByRole('alert')).toBeVisible();
	await expect(page).toHaveURL(new RegExp(`${base}/anmelden`));
});
