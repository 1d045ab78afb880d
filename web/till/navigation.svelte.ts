// The till's two pages (`/kasse/<merchant>` and its login) in one small app of their own,
// so a till's first load carries only the till (docs/web.md, Speed): the path is the state,
// moves within the till keep the page (and the session in memory), and the browser's back
// and forward buttons work.

let path = $state(location.pathname);
let search = $state(location.search);

addEventListener('popstate', () => {
	path = location.pathname;
	search = location.search;
});

/** The till's page of a path, with its merchant; `undefined` for a path that is no page. */
export type TillPage = { kind: 'till' | 'login'; merchant: string } | undefined;

export function pageOf(pathname: string): TillPage {
	const parts = pathname.split('/').filter((part) => part !== '');
	if (parts[0] !== 'kasse' || !parts[1]) return undefined;
	const merchant = decodeURIComponent(parts[1]);
	if (parts.length === 2) return { kind: 'till', merchant };
	if (parts.length === 3 && parts[2] === 'anmelden') return { kind: 'login', merchant };
	return undefined;
}

export const here = {
	get page(): TillPage {
		return pageOf(path);
	},
	get url(): URL {
		// A new URL on every read, never changed: no reactive URL needed.
		// eslint-disable-next-line svelte/prefer-svelte-reactivity
		return new URL(path + search, location.origin);
	}
};

/** Goes to a path: a page of the till within this app, any other page of the app by loading
 *  it; `replace` puts it in the place of the current entry of the history (a page that only
 *  sends on, so that "back" does not come to it again). */
export function goto(to: string, { replace = false } = {}): void {
	// Read once, never changed: no reactive URL needed.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	const url = new URL(to, location.origin);
	if (url.origin !== location.origin || !pageOf(url.pathname)) {
		if (replace) location.replace(url);
		else location.assign(url);
		return;
	}
	if (replace) history.replaceState(null, '', url);
	else history.pushState(null, '', url);
	path = url.pathname;
	search = url.search;
}
