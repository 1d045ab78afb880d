// The app's Content Security Policy, one for both of its builds (the SvelteKit app and the
// till's own entry): no inline scripts (SvelteKit's start-up script is allowed by its hash).
export const directives = {
	'default-src': ['self'],
	'script-src': ['self'],
	'style-src': ['self', 'unsafe-inline'],
	'img-src': ['self', 'data:', 'blob:', 'http:', 'https:'],
	'connect-src': ['self', 'http:', 'https:'],
	'frame-ancestors': ['none'],
	'base-uri': ['self'],
	'form-action': ['self']
};

/** The policy as a `<meta>` tag says it (`frame-ancestors` only counts as a header). */
export function metaPolicy() {
	const keyword = (source) =>
		['self', 'none', 'unsafe-inline'].includes(source) ? `'${source}'` : source;
	return Object.entries(directives)
		.filter(([name]) => name !== 'frame-ancestors')
		.map(([name, sources]) => `${name} ${sources.map(keyword).join(' ')}`)
		.join('; ');
}
