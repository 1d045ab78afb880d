// Where a page goes on to (`?weiter=`): only a path of this app, never another site.

export function nextPath(url: URL, fallback: string): string {
	const wanted = url.searchParams.get('weiter') ?? '';
	return wanted.startsWith('/') && !wanted.startsWith('//') && !wanted.startsWith('/\\')
		? wanted
		: fallback;
}
