// The console of a bank platform's manager: its sections, and the queues of applications
// and offers waiting for a decision, oldest first, with their waiting time in working days.

import type { NavSection } from './nav';
import { berlinDay } from '../format';
import { OVERDUE_AFTER, waitingLabel, workingDaysBetween } from './workdays';

/** The manager's login. */
export const MANAGER_LOGIN = '/plattform/anmelden';

/** The console's home for a platform. */
export function platformHome(platform: string): string {
	return `/plattform/${platform}`;
}

/** The console's sections for one platform. */
export function managerSections(platform: string): NavSection[] {
	const home = platformHome(platform);
	return [
		{ key: 'start', label: 'Übersicht', path: home },
		{ key: 'angebote', label: 'Angebote im Feed', path: `${home}/angebote` },
		{ key: 'partner', label: 'Partner', path: `${home}/partner` },
		{ key: 'statistik', label: 'Statistik', path: `${home}/statistik` },
		// The feed as end customers see it: the public page of the platform.
		{ key: 'feed', label: 'Feed ansehen', path: `/vorteile/${platform}` }
	];
}

/** Where a manager goes after the login: the one platform's console, or the choice. */
export function managerHome(platforms: readonly string[]): string {
	return platforms.length === 1 && platforms[0] ? platformHome(platforms[0]) : '/plattform';
}

/** One waiting item as a queue shows it. */
export interface Waiting<T> {
	item: T;
	days: number;
	label: string;
	/** Past the working days promised for a review. */
	overdue: boolean;
}

/** Items oldest first, each with its waiting time on `today` (a Berlin civil date). */
export function queue<T>(items: readonly T[], since: (item: T) => string, today: string): Waiting<T>[] {
	return [...items]
		.sort((a, b) => since(a).localeCompare(since(b)))
		.map((item) => {
			const days = workingDaysBetween(berlinDay(new Date(since(item))), today);
			return { item, days, label: waitingLabel(days), overdue: days > OVERDUE_AFTER };
		});
}

/** A reason the partner reads: not empty, at most 1000 characters, else the German problem. */
export function reasonProblem(reason: string): string | undefined {
	const text = reason.trim();
	if (text.length === 0) return 'Bitte nennen Sie den Grund; der Partner liest ihn.';
	if (text.length > 1000) return 'Der Grund darf höchstens 1000 Zeichen lang sein.';
	return undefined;
}
