// The navigation of the portal and the consoles: which section a path belongs to.

/** A section as a console's navigation lists it. */
export interface NavSection {
	key: string;
	label: string;
	path: string;
}

/** The section a path belongs to: the longest section path it is or lies under. */
export function sectionAt<S extends NavSection>(
	sections: readonly S[],
	pathname: string
): S | undefined {
	const path = pathname.replace(/\/+$/, '') || '/';
	return [...sections]
		.sort((a, b) => b.path.length - a.path.length)
		.find((s) => path === s.path || path.startsWith(`${s.path}/`));
}

/** A login page of a role, coming back to `here` afterwards (slashes left readable). */
export function loginPathOf(login: string, here: string): string {
	return `${login}?weiter=${encodeURIComponent(here).replace(/%2F/g, '/')}`;
}
