import { defineConfig } from '@playwright/test';

// Browser journeys against a running local-api (API and app on their own origins, fresh data).
// `cargo xtask test` starts it and passes WEB_URL and API_URL; Debian's chromium drives them
// (Playwright's own browser download is not used).
export default defineConfig({
	testDir: 'tests',
	timeout: 60_000,
	fullyParallel: false,
	workers: 1,
	forbidOnly: true,
	reporter: [['list']],
	outputDir: '../target/playwright',
	use: {
		baseURL: process.env.WEB_URL ?? 'http://127.0.0.1:3002',
		locale: 'de-DE',
		timezoneId: 'Europe/Berlin',
		viewport: { width: 1280, height: 800 },
		launchOptions: {
			executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync'
			]
		}
	}
});
