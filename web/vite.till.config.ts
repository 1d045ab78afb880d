// The till's own entry (`till/`): the till's two pages without the rest of the app, so a
// till's first load on a slow network carries only what the till needs (docs/web.md, Speed).
// Built after the SvelteKit app into the same folder: `build/kasse.html` (answered for every
// `/kasse/...` path, locally and by CloudFront) and its hashed files under
// `_app/immutable/till/`, each with its `.br` and `.gz` as the app's other files.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';
import { metaPolicy } from './csp.js';

/** The `.br` and `.gz` of every file written, as adapter-static's `precompress` makes them. */
function precompress(): Plugin {
	return {
		name: 'precompress',
		generateBundle(_options, bundle) {
			for (const file of Object.values(bundle)) {
				const data = Buffer.from(file.type === 'chunk' ? file.code : file.source);
				const brotli = brotliCompressSync(data, {
					params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY }
				});
				this.emitFile({ type: 'asset', fileName: `${file.fileName}.br`, source: brotli });
				this.emitFile({
					type: 'asset',
					fileName: `${file.fileName}.gz`,
					source: gzipSync(data, { level: 9 })
				});
			}
		}
	};
}

export default defineConfig({
	root: fileURLToPath(new URL('./till', import.meta.url)),
	plugins: [
		svelte(),
		{
			name: 'csp',
			transformIndexHtml: (html) => html.replace('%CSP%', metaPolicy())
		},
		precompress()
	],
	resolve: {
		alias: { $lib: fileURLToPath(new URL('./src/lib', import.meta.url)) }
	},
	build: {
		outDir: fileURLToPath(new URL('./build', import.meta.url)),
		emptyOutDir: false,
		assetsDir: '_app/immutable/till',
		// One script for the till's first load: the modulepreload polyfill is not needed by any
		// browser a till runs.
		modulePreload: { polyfill: false },
		rollupOptions: { input: fileURLToPath(new URL('./till/kasse.html', import.meta.url)) }
	}
});
