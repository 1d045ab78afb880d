// The digital customer account as the supplier meets it: the tier and its price in words,
// the warning before the customer that moves the account into a higher tier, the customers'
// states, and what the forms send.

import type { components } from '../api/schema';
import { formatCents, formatDate, formatTime } from '../format';

export type Account = components['schemas']['AccountView'];
export type Customer = components['schemas']['CustomerView'];
export type NewCustomer = components['schemas']['NewCustomer'];
export type CustomerPatch = components['schemas']['CustomerPatch'];
export type Link = components['schemas']['LinkView'];
export type Reveal = components['schemas']['Reveal'];
export type Tier = components['schemas']['Tier'];

/** A tier as the price list names it. */
export function tierName(tier: Tier): string {
	switch (tier) {
		case 'free':
			return 'bis 10 Kunden (kostenlos)';
		case 'up_to_25':
			return 'bis 25 Kunden';
		case 'up_to_50':
			return 'bis 50 Kunden';
		case 'up_to_99':
			return 'bis 99 Kunden';
		case 'unlimited':
			return 'ab 100 Kunden (Unlimited)';
	}
}

/** The yearly price of the current tier, net as billed. */
export function yearlyPriceText(account: Account): string {
	if (account.yearly_price_cents === 0) return 'kostenlos';
	return `${formatCents(account.yearly_price_cents)} im Jahr zzgl. USt. (${formatCents(account.monthly_price_cents)} im Monat, jährlich im Voraus)`;
}

/** How many customers the account holds, of how many the tier allows. */
export function customersText(account: Account): string {
	const n = account.customers === 1 ? '1 Kunde' : `${account.customers} Kunden`;
	return account.tier_limit == null ? n : `${n} von ${account.tier_limit} in Ihrer Stufe`;
}

/** When the next year is billed, or until when a cancelled account runs. */
export function billingText(account: Account): string {
	if (account.next_billing_on) return `Nächste Abrechnung am ${formatDate(account.next_billing_on)}`;
	if (account.ends_on) return `Gekündigt; Ihre Kunden melden sich bis einschließlich ${formatDate(dayBefore(account.ends_on))} an.`;
	return '';
}

/** `2027-12-06` → `2027-12-05`, by the calendar alone. */
function dayBefore(day: string): string {
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

/** What adding one more customer costs, when that customer moves the account into a
 *  higher tier: said before the invitation goes out. Nothing when the tier stays. */
export function tierWarning(account: Account): string | undefined {
	const next = account.next_tier;
	if (!next || account.customers + 1 !== next.from_customer) return undefined;
	const billing = account.next_billing_on
		? ` Für das laufende Vertragsjahr bis zum ${formatDate(dayBefore(account.next_billing_on))} berechnen wir den Unterschied zum bisherigen Monatspreis für die restlichen Monate; ab dem ${formatDate(account.next_billing_on)} gilt der neue Jahresbeitrag.`
		: '';
	return (
		`Mit dem ${next.from_customer}. Kunden wechselt Ihr Kundenkonto in die Stufe „${tierName(next.tier)}“: ` +
		`${formatCents(next.yearly_price_cents)} im Jahr zzgl. USt. (${formatCents(next.monthly_price_cents)} im Monat).` +
		billing
	);
}

/** A customer's state in words. */
export function stateText(c: Customer): string {
	switch (c.state) {
		case 'invited':
			return 'Eingeladen';
		case 'active':
			return 'Aktiv';
		case 'disabled':
			return 'Gesperrt';
	}
}

/** The last login, or that there was none. */
export function lastLoginText(c: Customer): string {
	return c.last_login_at ? `${formatDate(c.last_login_at)}, ${formatTime(c.last_login_at)} Uhr` : 'noch nie';
}

export interface CustomerForm {
	first_name: string;
	last_name: string;
	email: string;
	username: string;
	folder_url: string;
	folder_password: string;
}

export function emptyCustomerForm(): CustomerForm {
	return { first_name: '', last_name: '', email: '', username: '', folder_url: '', folder_password: '' };
}

/** The invitation as the API takes it: optional fields only when given. */
export function newCustomerOf(f: CustomerForm): NewCustomer {
	const body: NewCustomer = {
		first_name: f.first_name.trim(),
		last_name: f.last_name.trim(),
		email: f.email.trim(),
		folder_url: f.folder_url.trim()
	};
	if (f.username.trim()) body.username = f.username.trim();
	if (f.folder_password) body.folder_password = f.folder_password;
	return body;
}

export interface EditForm {
	first_name: string;
	last_name: string;
	folder_url: string;
	/** A new folder password; empty keeps the current one unless `remove_password`. */
	folder_password: string;
	remove_password: boolean;
}

export function editFormOf(c: Customer): EditForm {
	return {
		first_name: c.first_name,
		last_name: c.last_name,
		folder_url: c.folder_url,
		folder_password: '',
		remove_password: false
	};
}

/** What changed, as the API takes it (`""` removes the folder password). */
export function customerPatchOf(c: Customer, f: EditForm): CustomerPatch {
	const patch: CustomerPatch = {};
	if (f.first_name.trim() !== c.first_name) patch.first_name = f.first_name.trim();
	if (f.last_name.trim() !== c.last_name) patch.last_name = f.last_name.trim();
	if (f.folder_url.trim() !== c.folder_url) patch.folder_url = f.folder_url.trim();
	if (f.remove_password) patch.folder_password = '';
	else if (f.folder_password) patch.folder_password = f.folder_password;
	return patch;
}

/** Who copied which password when, as a line of the list. */
export function revealText(r: Reveal): string {
	return `${formatDate(r.revealed_at)}, ${formatTime(r.revealed_at)} Uhr`;
}
