// The partner's invoices: number, period, gross amount and how each is settled.

import type { components } from '../api/schema';
import { formatDate, formatMonth } from '../format';

export type Invoice = components['schemas']['InvoiceView'];

/** How an invoice stands, in words (`today` as `2026-12-06`, Berlin). */
export function invoiceStatus(invoice: Invoice, all: Invoice[], today: string): string {
	if (invoice.kind === 'credit_note') {
		return invoice.cancels
			? `Stornorechnung zu ${invoice.cancels.invoice_number}`
			: 'Stornorechnung';
	}
	const credit = all.find((i) => i.kind === 'credit_note' && i.cancels?.invoice_number === invoice.number);
	if (credit) {
		return `storniert durch ${credit.number}`;
	}
	const debit = invoice.direct_debit;
	if (!debit) {
		return 'zahlbar per Überweisung';
	}
	return debit.collection_date > today
		? `wird am ${formatDate(debit.collection_date)} per Lastschrift eingezogen`
		: `am ${formatDate(debit.collection_date)} per Lastschrift eingezogen`;
}

/** The invoiced month: `Dezember 2026`. */
export function periodText(invoice: Invoice): string {
	return formatMonth(invoice.period);
}

/** The document's kind as the list names it. */
export function kindText(invoice: Invoice): string {
	return invoice.kind === 'credit_note' ? 'Stornorechnung' : 'Rechnung';
}
