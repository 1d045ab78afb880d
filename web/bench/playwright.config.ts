import { defineConfig } from '@playwright/test';
import base from '../playwright.config';

// The web app's timings for `cargo xtask bench` (not tests: nothing here asserts a budget;
// xtask compares the figures written to target/bench/web-till.json with docs/web.md's).
export default defineConfig({
	...base,
	testDir: '.',
	testMatch: '*.bench.ts',
	timeout: 300_000,
	outputDir: '../target/playwright-bench'
});
