// The start page: what the partner does next (each step shown only while it is not done,
// linked to where it is done once that page exists) and what is running.

import type { components } from '../api/schema';
import { formatCents, formatDate } from '../format';
import { sectionHref } from './sections';
import { applicationRuns, type Application, type PlatformView } from './platforms';

type Schemas = components['schemas'];
export type Profile = Schemas['ProfileView'];
export type OfferView = Schemas['OfferView'];
export type Placement = Schemas['PlacementBooking'];
export type Contract = Schemas['ContractView'];
export type CustomerAccount = Schemas['AccountView'];

export type StepKey = 'email' | 'mandate' | 'address' | 'platform' | 'offer';

export interface Step {
	key: StepKey;
	text: string;
	/** Where it is done; none while that page is not built yet. */
	href?: string;
	/** Said beside the step instead, when there is no page for it. */
	hint?: string;
}

export interface Situation {
	profile: Profile;
	applications: Application[];
	/** Offers the partner has (at least this many); none known when the read failed. */
	offers: number | undefined;
	today: string;
}

/** The steps still to do, in the order they make sense. */
export function nextSteps(s: Situation): Step[] {
	const steps: Step[] = [];
	if (!s.profile.email_confirmed) {
		steps.push({
			key: 'email',
			text: 'Bestätigen Sie Ihre E-Mail-Adresse über den Link in unserer E-Mail.'
		});
	}
	if (!s.profile.sepa_mandate) {
		steps.push({
			key: 'mandate',
			text: 'Erteilen Sie ein SEPA-Lastschriftmandat für die Gebühren.',
			href: sectionHref('profil', '#lastschrift')
		});
	}
	if (!s.profile.address) {
		steps.push({
			key: 'address',
			text: 'Hinterlegen Sie die Anschrift Ihres Unternehmens.',
			href: sectionHref('profil', '#anschrift')
		});
	}
	if (!s.applications.some((a) => a.status === 'pending' || applicationRuns(a, s.today))) {
		steps.push({
			key: 'platform',
			text: 'Bewerben Sie sich bei einer Plattform.',
			href: sectionHref('plattformen')
		});
	}
	if (s.offers === 0) {
		const href = sectionHref('angebote');
		steps.push({
			key: 'offer',
			text: 'Legen Sie Ihr erstes Angebot an.',
			href,
			hint: href ? undefined : 'Angebote legen Sie bald hier im Partnerbereich an.'
		});
	}
	return steps;
}

/** A running subscription in a line: `Sparkasse Vorteilswelt: 49,00 € im Monat, seit 16.11.2026`. */
export function subscriptionLine(a: Application, platforms: PlatformView[]): string {
	const fee = platforms.find((p) => p.id === a.platform_id)?.monthly_fee_cents;
	const parts = [fee === undefined ? a.platform_name : `${a.platform_name}: ${formatCents(fee)} im Monat`];
	if (a.status === 'cancelled' && a.ends_on) {
		parts.push(`gekündigt, endet am ${formatDate(a.ends_on)}`);
	} else if (a.approved_on) {
		parts.push(`seit ${formatDate(a.approved_on)}`);
	}
	return parts.join(', ');
}

/** What waits for a platform's decision: applications and offers in review. */
export function openReviews(applications: Application[], offers: OfferView[], platforms: PlatformView[]): string[] {
	const name = (id: string) => platforms.find((p) => p.id === id)?.name ?? 'einer Plattform';
	const lines = applications
		.filter((a) => a.status === 'pending')
		.map((a) => `Ihre Bewerbung bei ${a.platform_name}`);
	for (const offer of offers) {
		for (const state of offer.platforms) {
			if (state.status === 'in_review') {
				lines.push(`„${offer.content.title}“ bei ${name(state.platform_id)}`);
			}
		}
	}
	return lines;
}

/** A placement of the month: `Top-Platzierung bei Sparkasse Vorteilswelt: 49,00 €`. */
export function placementLine(p: Placement, platforms: PlatformView[]): string {
	const platform = platforms.find((x) => x.id === p.platform_id)?.name;
	return `${p.kind_name}${platform ? ` bei ${platform}` : ''}: ${formatCents(p.price_cents)}`;
}

/** The month's booked (not cancelled) placements. */
export function bookedPlacements(placements: Placement[]): Placement[] {
	return placements.filter((p) => p.state === 'booked');
}

/** The card contract in a sentence or two. */
export function contractLines(c: Contract): string[] {
	const users = c.terminal_users === 1 ? '1 Kassenzugang' : `${c.terminal_users} Kassenzugänge`;
	const lines = [
		`${users} zu je ${formatCents(c.fee_per_terminal_user_cents)} im Monat: ${formatCents(c.monthly_fee_cents)} in diesem Monat.`
	];
	if (c.ends_on) {
		lines.push(`Gekündigt, endet am ${formatDate(c.ends_on)}.`);
	} else {
		lines.push(`Laufzeit bis ${formatDate(c.term_end)}; kündbar bis ${formatDate(c.last_day_to_cancel)}.`);
	}
	return lines;
}

/** The customer account's tier: `bis 25 Kunden`, `unbegrenzt`. */
export function tierText(a: CustomerAccount): string {
	return a.tier_limit == null ? 'unbegrenzt viele Kunden' : `bis ${a.tier_limit} Kunden`;
}

/** The customer account in a sentence or two. */
export function accountLines(a: CustomerAccount): string[] {
	const price =
		a.monthly_price_cents === 0
			? 'kostenlos'
			: `${formatCents(a.monthly_price_cents)} im Monat, jährlich im Voraus berechnet`;
	const customers = a.customers === 1 ? '1 Kunde' : `${a.customers} Kunden`;
	const lines = [`Stufe ${tierText(a)} (${price}); ${customers} angelegt.`];
	if (a.ends_on) {
		lines.push(`Gekündigt; ab dem ${formatDate(a.ends_on)} können sich Ihre Kunden nicht mehr anmelden.`);
	}
	return lines;
}
