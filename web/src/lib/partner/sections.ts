// The partner portal's sections, in the order the navigation lists them. A section whose
// pages are not built yet is listed here but never linked (no link leads nowhere): building
// one means adding its route under `src/routes/partner/(portal)/` and setting `built`.

import { loginPathOf, sectionAt } from '../console/nav';

export type SectionKey =
	| 'start'
	| 'profil'
	| 'plattformen'
	| 'angebote'
	| 'platzierungen'
	| 'karten'
	| 'empfehlungen'
	| 'kundenkonto'
	| 'rechnungen'
	| 'konto';

export interface Section {
	key: SectionKey;
	label: string;
	path: string;
	built: boolean;
}

export const SECTIONS: readonly Section[] = [
	{ key: 'start', label: 'Start', path: '/partner', built: true },
	{ key: 'profil', label: 'Profil', path: '/partner/profil', built: true },
	{ key: 'plattformen', label: 'Plattformen', path: '/partner/plattformen', built: true },
	{ key: 'angebote', label: 'Angebote', path: '/partner/angebote', built: true },
	{ key: 'platzierungen', label: 'Platzierungen', path: '/partner/platzierungen', built: true },
	{ key: 'karten', label: 'Karten', path: '/partner/karten', built: true },
	{ key: 'empfehlungen', label: 'Empfehlungen', path: '/partner/empfehlungen', built: true },
	{ key: 'kundenkonto', label: 'Kundenkonto', path: '/partner/kundenkonto', built: true },
	{ key: 'rechnungen', label: 'Rechnungen', path: '/partner/rechnungen', built: true },
	{ key: 'konto', label: 'Konto', path: '/partner/konto', built: true }
];

/** The sections the navigation links to: those built. */
export function linkedSections(sections: readonly Section[] = SECTIONS): Section[] {
	return sections.filter((s) => s.built);
}

/** Where a section (and `#anchor` within it) is, or nothing while it is not built. */
export function sectionHref(
	key: SectionKey,
	anchor = '',
	sections: readonly Section[] = SECTIONS
): string | undefined {
	const section = sections.find((s) => s.key === key);
	return section?.built ? section.path + anchor : undefined;
}

/** The section a path of the portal belongs to (`/partner/profil` → Profil). */
export function sectionOf(
	pathname: string,
	sections: readonly Section[] = SECTIONS
): Section | undefined {
	return sectionAt(sections, pathname);
}

/** The partner's login, coming back to `here` afterwards (slashes left readable). */
export function loginPath(here: string): string {
	return loginPathOf('/partner/anmelden', here);
}
