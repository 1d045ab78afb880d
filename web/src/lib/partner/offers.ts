// The partner's offers: the editor's form and the API's input, the API's field errors
// placed at the form's fields, the benefit as the feed words it, each platform's state in
// words, and what a revision changes against the version shown.

import type { components } from '../api/schema';
import type { Problem } from '../api/client';
import { eurosToCents, formatCents, formatDate } from '../format';

type Schemas = components['schemas'];
export type OfferView = Schemas['OfferView'];
export type OwnOffer = Schemas['OwnOffer'];
export type LiveView = Schemas['LiveView'];
export type ImageView = Schemas['ImageView'];
export type OfferInput = Schemas['OfferInput'];
export type Content = Schemas['Content'];
export type Benefit = Schemas['Benefit'];
export type BenefitKind = Schemas['BenefitKind'];
export type Category = Schemas['Category'];
export type PlatformState = Schemas['PlatformStateView'];

/** The fixed categories, in the API's order, with their German names. */
export const CATEGORIES: readonly { key: Category; label: string }[] = [
	{ key: 'essen', label: 'Essen und Trinken' },
	{ key: 'mode', label: 'Mode' },
	{ key: 'reisen', label: 'Reisen' },
	{ key: 'freizeit', label: 'Freizeit' },
	{ key: 'gesundheit', label: 'Gesundheit' },
	{ key: 'technik', label: 'Technik' },
	{ key: 'wohnen', label: 'Wohnen' },
	{ key: 'mobilitaet', label: 'Mobilität' },
	{ key: 'dienstleistung', label: 'Dienstleistungen' },
	{ key: 'sonstiges', label: 'Sonstiges' }
];

export function categoryLabel(key: string): string {
	return CATEGORIES.find((c) => c.key === key)?.label ?? key;
}

export const BENEFIT_KINDS: readonly { key: BenefitKind; label: string }[] = [
	{ key: 'percent', label: 'Prozent-Rabatt' },
	{ key: 'amount', label: 'Euro-Rabatt' },
	{ key: 'free_add_on', label: 'Gratis-Zugabe' },
	{ key: 'other', label: 'Anderer Vorteil' }
];

/** The editor's form as typed. */
export interface OfferForm {
	title: string;
	teaser: string;
	description: string;
	benefitKind: BenefitKind;
	/** Percent, as typed (`15`). */
	percent: string;
	/** Euros, as typed (`5,00`). */
	amount: string;
	benefitText: string;
	online: boolean;
	shopUrl: string;
	discountCode: string;
	inStore: boolean;
	instructions: string;
	couponCode: string;
	validFrom: string;
	validTo: string;
	categories: string[];
	platforms: string[];
}

/** A new offer's form: valid from `today`, meant for the platforms given. */
export function emptyOfferForm(today: string, platforms: string[]): OfferForm {
	return {
		title: '',
		teaser: '',
		description: '',
		benefitKind: 'percent',
		percent: '',
		amount: '',
		benefitText: '',
		online: false,
		shopUrl: '',
		discountCode: '',
		inStore: false,
		instructions: '',
		couponCode: '',
		validFrom: today,
		validTo: '',
		categories: [],
		platforms: [...platforms]
	};
}

/** Cents as the form shows euros: `500` → `5,00`. */
function euros(cents: number): string {
	return (cents / 100).toFixed(2).replace('.', ',');
}

/** The form of a saved draft. */
export function formOfOffer(o: OfferView): OfferForm {
	const c = o.content;
	const value = c.benefit.value ?? undefined;
	return {
		title: c.title,
		teaser: c.teaser,
		description: c.description,
		benefitKind: c.benefit.kind,
		percent: c.benefit.kind === 'percent' && value !== undefined ? String(value) : '',
		amount: c.benefit.kind === 'amount' && value !== undefined ? euros(value) : '',
		benefitText: c.benefit.text ?? '',
		online: Boolean(c.online),
		shopUrl: c.online?.shop_url ?? '',
		discountCode: c.online?.discount_code ?? '',
		inStore: Boolean(c.in_store),
		instructions: c.in_store?.instructions ?? '',
		couponCode: c.in_store?.coupon_code ?? '',
		validFrom: c.valid_from,
		validTo: c.valid_to,
		categories: [...c.categories],
		platforms: o.platforms.map((p) => p.platform_id)
	};
}

export { eurosToCents } from '../format';

/** The benefit the form describes (what the API stores), or errors at its fields. */
function benefitOf(f: OfferForm): { benefit: Benefit; errors: Record<string, string> } {
	const text = f.benefitText.trim() || undefined;
	switch (f.benefitKind) {
		case 'percent': {
			const value = /^\d{1,3}$/.test(f.percent.trim()) ? Number(f.percent.trim()) : undefined;
			return {
				benefit: { kind: 'percent', value },
				errors:
					value === undefined
						? { 'benefit.value': 'Bitte geben Sie den Rabatt als ganze Zahl an, z. B. 15.' }
						: {}
			};
		}
		case 'amount': {
			const value = eurosToCents(f.amount);
			return {
				benefit: { kind: 'amount', value },
				errors:
					value === undefined
						? { 'benefit.value': 'Bitte geben Sie den Betrag in Euro an, z. B. 5,00.' }
						: {}
			};
		}
		default:
			return { benefit: { kind: f.benefitKind, text }, errors: {} };
	}
}

/** The benefit as the API takes it: a value for a discount, a text for the other kinds (a
 *  missing value is the form's error before anything is sent). */
function benefitInput(b: Benefit): OfferInput['benefit'] {
	switch (b.kind) {
		case 'percent':
			return { kind: 'percent', value: b.value ?? 0, text: b.text };
		case 'amount':
			return { kind: 'amount', value: b.value ?? 0, text: b.text };
		default:
			return { kind: b.kind, text: b.text ?? '' };
	}
}

/** What the form sends (`POST /offers`, `PUT /offers/{id}`), and what must be fixed before:
 *  the amounts the API takes as numbers are checked here, everything else by the API. */
export function inputOf(f: OfferForm): { input: OfferInput; errors: Record<string, string> } {
	const { benefit, errors } = benefitOf(f);
	const input: OfferInput = {
		title: f.title,
		teaser: f.teaser,
		description: f.description,
		benefit: benefitInput(benefit),
		valid_from: f.validFrom,
		valid_to: f.validTo,
		categories: CATEGORIES.map((c) => c.key).filter((k) => f.categories.includes(k)),
		platforms: [...f.platforms]
	};
	if (f.online) {
		input.online = { shop_url: f.shopUrl, discount_code: f.discountCode.trim() || undefined };
	}
	if (f.inStore) {
		input.in_store = { instructions: f.instructions, coupon_code: f.couponCode };
	}
	return { input, errors };
}

/** The benefit as the feed words it: `15 % Rabatt`, `5,00 € Rabatt`, or its text. */
export function benefitText(b: Benefit): string {
	if (b.kind === 'percent' && b.value != null) return `${b.value} % Rabatt`;
	if (b.kind === 'amount' && b.value != null) return `${formatCents(b.value)} Rabatt`;
	return b.text ?? '';
}

/** The fields of the form the API's errors belong to. A list's entry (`platforms[1]`,
 *  `categories[0]`, `images[2]`) is placed at the platform, category or image it names:
 *  `platform:<id>`, `category:<key>`, `image:<id>`. The indices are those of what was sent
 *  (`sent`) and of the draft's images. */
export function fieldErrors(
	problem: Problem,
	sent: { platforms: string[]; categories: string[] },
	images: { image_id: string }[] = []
): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [field, message] of Object.entries(problem.fields)) {
		const entry = /^(platforms|categories|images)\[(\d+)\]$/.exec(field);
		if (!entry) {
			out[field] = message;
			continue;
		}
		const list = entry[1] ?? '';
		const i = Number(entry[2]);
		const platform = sent.platforms[i];
		const category = sent.categories[i];
		const image = images[i];
		const at =
			list === 'platforms' && platform
				? `platform:${platform}`
				: list === 'categories' && category
					? `category:${category}`
					: list === 'images' && image
						? `image:${image.image_id}`
						: list;
		out[at] = message;
	}
	return out;
}

/** An offer's state on one platform in words. */
export function stateText(s: PlatformState): string {
	const since = (at: string | null | undefined) => (at ? ` am ${formatDate(at)}` : '');
	switch (s.status) {
		case 'draft':
			return 'Entwurf, noch nicht eingereicht';
		case 'in_review':
			return s.live
				? `Überarbeitung wird geprüft (eingereicht${since(s.submitted_at)}); die freigegebene Fassung bleibt sichtbar`
				: `Wird geprüft (eingereicht${since(s.submitted_at)})`;
		case 'approved':
			return s.revision_pending
				? `Freigegeben${since(s.decided_at)} und im Feed sichtbar; Ihre Überarbeitung ist noch nicht eingereicht`
				: `Freigegeben${since(s.decided_at)} und im Feed sichtbar`;
		case 'rejected':
			return s.live
				? `Überarbeitung abgelehnt${since(s.decided_at)}; die freigegebene Fassung bleibt sichtbar`
				: `Abgelehnt${since(s.decided_at)}`;
		case 'withdrawn':
			return 'Zurückgezogen, nicht mehr sichtbar';
		case 'taken_down':
			return `Vom Plattform-Manager aus dem Feed genommen${since(s.decided_at)}; überarbeiten Sie es und reichen Sie es neu ein`;
		default:
			return s.status;
	}
}

/** Whether anything of the offer waits to be submitted: a platform never submitted to, a
 *  rejected, withdrawn or taken-down one, or a revision of a shown version. */
export function submittable(o: OfferView): boolean {
	return o.platforms.some(
		(p) =>
			p.status === 'draft' ||
			p.status === 'rejected' ||
			p.status === 'withdrawn' ||
			p.status === 'taken_down' ||
			(p.status === 'approved' && p.revision_pending)
	);
}

/** Whether the offer is shown or in review somewhere (withdrawing takes it off). */
export function withdrawable(o: OfferView): boolean {
	return o.platforms.some((p) => p.live || p.status === 'in_review');
}

/** The validity in words: `06.12.2026 bis 31.01.2027`. */
export function validityText(c: { valid_from: string; valid_to: string }): string {
	return `${formatDate(c.valid_from)} bis ${formatDate(c.valid_to)}`;
}

function onlineText(c: Content): string {
	if (!c.online) return 'nein';
	return c.online.discount_code
		? `${c.online.shop_url}, Code ${c.online.discount_code}`
		: c.online.shop_url;
}

function inStoreText(c: Content): string {
	if (!c.in_store) return 'nein';
	return c.in_store.coupon_code
		? `${c.in_store.instructions} (Gutscheincode ${c.in_store.coupon_code})`
		: c.in_store.instructions;
}

export interface ComparedField {
	label: string;
	live: string;
	draft: string;
	changed: boolean;
}

/** The version shown and the draft, field by field, each marked when the draft changes it
 *  (images by their ids and order: a submitted image keeps its id). */
export function compare(live: Content, draft: Content): ComparedField[] {
	const count = (c: Content) => {
		const n = (c.images ?? []).length;
		return n === 1 ? '1 Bild' : `${n} Bilder`;
	};
	const rows: [string, (c: Content) => string, (c: Content) => string][] = [
		['Titel', (c) => c.title, (c) => c.title],
		['Kurztext', (c) => c.teaser, (c) => c.teaser],
		['Beschreibung', (c) => c.description, (c) => c.description],
		['Vorteil', (c) => benefitText(c.benefit), (c) => benefitText(c.benefit)],
		['Online einlösbar', onlineText, onlineText],
		['Im Geschäft einlösbar', inStoreText, inStoreText],
		['Gültig', validityText, validityText],
		['Kategorien', (c) => c.categories.map(categoryLabel).join(', '), (c) => c.categories.join()],
		['Bilder', count, (c) => (c.images ?? []).map((i) => i.image_id).join()]
	];
	return rows.map(([label, text, key]) => ({
		label,
		live: text(live),
		draft: text(draft),
		changed: key(live) !== key(draft)
	}));
}

/** The platforms to choose from, each with what the partner's application there means for
 *  a submission. */
export function platformChoices(
	platforms: { id: string; name: string }[],
	applications: { platform_id: string; status: string }[]
): { id: string; name: string; note: string; runs: boolean }[] {
	return platforms.map((p) => {
		const status = applications.find((a) => a.platform_id === p.id)?.status;
		const runs = status === 'approved' || status === 'cancelled';
		const note =
			status === 'approved'
				? 'Sie nehmen teil'
				: status === 'cancelled'
					? 'gekündigt'
					: status === 'pending'
						? 'Ihre Bewerbung wird geprüft'
						: 'Sie nehmen noch nicht teil';
		return { id: p.id, name: p.name, note, runs };
	});
}
