// The till as a cashier meets it: the first load on a slow tablet and network (Chromium's 4×
// CPU slowdown and DevTools' "Slow 4G", session from the refresh cookie), until the card field
// has the focus and is on screen, with an empty cache and at the start of a later shift (the app's files
// cached); then a lookup and a booking, from the Enter key to the new figure on screen, on
// the local network.

import { writeFileSync, mkdirSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { TILL_PASSWORD, acceptTillInvitation, merchantWithTill } from '../tests/merchant';

/** DevTools' "Slow 4G" preset: 150 ms × 3.75 latency, 1.6 Mbit/s × 0.9 down, 750 kbit/s × 0.9 up. */
const SLOW_4G = {
	offline: false,
	latency: 562.5,
	downloadThroughput: (1.6 * 1000 * 1000 * 0.9) / 8,
	uploadThroughput: (750 * 1000 * 0.9) / 8
};
const LOADS = 5;
const ROUNDS = 15;

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Milliseconds from the start of the page's navigation until the card field has the focus
 *  and the frame showing it is painted: recorded by the page itself (a script the bench adds
 *  before the app's), so the figure carries no polling delay of the test runner. */
async function untilReadyForACard(page: Page, url: string): Promise<number> {
	await page.goto(url);
	const ready = await page.waitForFunction(
		() => (window as unknown as { tillReady?: number }).tillReady,
		undefined,
		{ timeout: 60_000 }
	);
	return (await ready.jsonValue()) as number;
}

/** Runs in every page before its own scripts: notes when the card field first has the focus,
 *  after the next frame is painted (a message posted from the frame's callback runs after it). */
function noteReadyForACard() {
	document.addEventListener(
		'focusin',
		(event) => {
			const w = window as unknown as { tillReady?: number };
			if ((event.target as Element | null)?.id !== 'kartennummer' || w.tillReady) return;
			requestAnimationFrame(() => {
				const after = new MessageChannel();
				after.port1.onmessage = () => {
					w.tillReady ??= performance.now();
				};
				after.port2.postMessage(undefined);
			});
		},
		true
	);
}

/** Milliseconds from the Enter key to the card's figure changing on screen. */
async function enterToFigure(page: Page, press: () => Promise<void>): Promise<number> {
	await page.evaluate(() => {
		const marks: Record<string, number> = {};
		(window as unknown as { benchMarks: Record<string, number> }).benchMarks = marks;
		document.addEventListener(
			'keydown',
			(e) => {
				if (e.key === 'Enter') marks.enter = performance.now();
			},
			{ capture: true, once: true }
		);
		const before = document.querySelector('[data-testid=stand]')?.textContent ?? '';
		const seen = new MutationObserver(() => {
			const now = document.querySelector('[data-testid=stand]')?.textContent ?? '';
			if (now !== before && document.querySelector('[data-testid=stand]')) {
				marks.shown = performance.now();
				seen.disconnect();
			}
		});
		seen.observe(document.body, { subtree: true, childList: true, characterData: true });
	});
	await press();
	const marks = await page.waitForFunction(() => {
		const m = (window as unknown as { benchMarks: Record<string, number> }).benchMarks;
		return m.shown !== undefined && m.enter !== undefined ? m : undefined;
	});
	const { enter, shown } = (await marks.jsonValue()) as { enter: number; shown: number };
	return shown - enter;
}

test('the till: first load, lookup and booking', async ({ browser, request }) => {
	const merchant = await merchantWithTill(request);
	await acceptTillInvitation(request, merchant);
	const context = await browser.newContext();
	await context.addInitScript(noteReadyForACard);
	const page = await context.newPage();
	await page.goto(`/kasse/${merchant.id}/anmelden?weiter=/kasse/${merchant.id}`);
	await page.getByLabel('Benutzername').fill('kasse-1');
	await page.getByLabel('Passwort').fill(TILL_PASSWORD);
	await page.getByRole('button', { name: 'Anmelden' }).click();
	const field = page.getByLabel('Kartennummer');
	await expect(field).toBeFocused();

	const cdp = await context.newCDPSession(page);
	await cdp.send('Network.enable');
	const loads: number[] = [];
	for (let i = 0; i < LOADS; i++) {
		await cdp.send('Network.clearBrowserCache');
		await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
		await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
		await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
		loads.push(await untilReadyForACard(page, `/kasse/${merchant.id}`));
	}
	// The start of a later shift: the app's files are in the browser's cache (hashed names,
	// cached for a year); only the page itself is asked for again.
	await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
	const shifts: number[] = [];
	for (let i = 0; i < LOADS; i++) {
		shifts.push(await untilReadyForACard(page, `/kasse/${merchant.id}`));
	}
	await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: -1
	});
	await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });

	const card = merchant.cards[0] ?? '';
	const lookups: number[] = [];
	const bookings: number[] = [];
	await page.goto(`/kasse/${merchant.id}`);
	await expect(field).toBeFocused();
	for (let i = 0; i < ROUNDS; i++) {
		await field.fill(card);
		lookups.push(await enterToFigure(page, () => field.press('Enter')));
		const amount = page.getByLabel('Einkaufsbetrag in €');
		await expect(amount).toBeFocused();
		await amount.fill('1');
		bookings.push(await enterToFigure(page, () => amount.press('Enter')));
		await expect(field).toBeFocused();
		// A fresh card view for the next lookup: the figure must appear anew.
		await page.goto(`/kasse/${merchant.id}`);
		await expect(field).toBeFocused();
	}

	const figures = {
		first_load_ms: { median: median(loads), runs: loads },
		shift_start_ms: { median: median(shifts), runs: shifts },
		lookup_ms: { median: median(lookups), runs: lookups },
		booking_ms: { median: median(bookings), runs: bookings }
	};
	mkdirSync('../target/bench', { recursive: true });
	writeFileSync('../target/bench/web-till.json', JSON.stringify(figures, null, 2));
	console.log(JSON.stringify(figures));
});
