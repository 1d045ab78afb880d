// The profile page: the form's fields into `PATCH /partners/me`, the logo checked before it
// is uploaded, and the SEPA mandate's text.

import type { components } from '../api/schema';
import { IMAGE_ACCEPT, imageProblem } from '../imagefile';

type Schemas = components['schemas'];
export type Profile = Schemas['ProfileView'];
export type ProfilePatch = Schemas['ProfilePatch'];
export type Creditor = Schemas['SepaCreditor'];

/** The form as typed. */
export interface ProfileForm {
	company: string;
	contact_name: string;
	phone: string;
	vat_id: string;
	street: string;
	postal_code: string;
	city: string;
	country: string;
}

export function emptyForm(): ProfileForm {
	return {
		company: '',
		contact_name: '',
		phone: '',
		vat_id: '',
		street: '',
		postal_code: '',
		city: '',
		country: 'DE'
	};
}

export function formOf(p: Profile): ProfileForm {
	return {
		company: p.company,
		contact_name: p.contact_name,
		phone: p.phone ?? '',
		vat_id: p.vat_id ?? '',
		street: p.address?.street ?? '',
		postal_code: p.address?.postal_code ?? '',
		city: p.address?.city ?? '',
		country: p.address?.country ?? 'DE'
	};
}

/** The change to send: company and contact always; phone, VAT id and the address when
 *  given (the API cannot empty them). An address half filled in is sent, so the API names
 *  the fields that are missing. */
export function patchOf(f: ProfileForm): ProfilePatch {
	const patch: ProfilePatch = { company: f.company, contact_name: f.contact_name };
	if (f.phone.trim()) patch.phone = f.phone;
	if (f.vat_id.trim()) patch.vat_id = f.vat_id;
	if ([f.street, f.postal_code, f.city].some((v) => v.trim())) {
		patch.address = {
			street: f.street,
			postal_code: f.postal_code,
			city: f.city,
			country: f.country.trim() || 'DE'
		};
	}
	return patch;
}

/** The accept list of the file field. */
export const LOGO_ACCEPT = IMAGE_ACCEPT;

/** What is wrong with a chosen logo, in German, or nothing: its type, its size, and
 *  whether its first bytes are an image of that type. */
export function logoProblem(type: string, size: number, head: Uint8Array): string | undefined {
	return imageProblem(type, size, head, 'ein Logo');
}

/** The mandate text the partner agrees to before giving it (SEPA core direct debit). */
export function mandateText(c: Creditor): string[] {
	const address = `${c.street}, ${c.postal_code} ${c.city}`;
	return [
		`Zahlungsempfänger: ${c.name}, ${address}`,
		`Gläubiger-Identifikationsnummer: ${c.creditor_id}`,
		'Mandatsreferenz: wird Ihnen nach der Erteilung angezeigt.',
		`Ich ermächtige / Wir ermächtigen den Zahlungsempfänger ${c.name}, Zahlungen von meinem / unserem Konto mittels SEPA-Basislastschrift einzuziehen. Zugleich weise ich mein / weisen wir unser Kreditinstitut an, die von ${c.name} auf mein / unser Konto gezogenen Lastschriften einzulösen.`,
		'Hinweis: Ich kann / Wir können innerhalb von acht Wochen, beginnend mit dem Belastungsdatum, die Erstattung des belasteten Betrages verlangen. Es gelten dabei die mit meinem / unserem Kreditinstitut vereinbarten Bedingungen.',
		`Jede Lastschrift kündigen wir mit der Rechnung mindestens ${c.prenotification_days} Tage vor dem Einzug an.`
	];
}
