import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { directives } from './csp.js';

/** A single-page app: every route answered by index.html, rendered in the browser. */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({
			pages: 'build',
			assets: 'build',
			fallback: 'index.html',
			strict: true,
			// `.br` and `.gz` beside each file: local-api serves them as CloudFront compresses.
			precompress: true
		}),
		// Chunks per page (SvelteKit's default): a page loads the entry, its layouts and itself,
		// so the portal and the consoles growing costs the other pages nothing. The till, whose
		// first load on a slow network has a budget, is an entry of its own (`till/`,
		// vite.till.config.ts).
		output: { bundleStrategy: 'split' },
		// The bench's scripts are type-checked with the app and its tests.
		typescript: {
			config: (tsconfig) => {
				tsconfig.include.push(
					'../bench/**/*.ts',
					'../playwright.config.ts',
					'../till/**/*.ts',
					'../till/**/*.svelte'
				);
			}
		},
		// Content Security Policy without inline scripts: SvelteKit's start-up script gets a hash.
		csp: { mode: 'hash', directives }
	}
};

export default config;
