// The partner's own account: what closing it does, said in plain German before anything
// happens, and the name of the data download.

import type { components } from '../api/schema';
import { berlinDay, formatCents, formatDate, formatMonth } from '../format';

export type ClosurePlan = components['schemas']['ClosurePlan'];
export type DataExport = components['schemas']['DataExport'];

/** What happens to each running contract, one sentence each. */
export function closureLines(plan: ClosurePlan): string[] {
	const lines: string[] = [];
	for (const s of plan.subscriptions) {
		if (s.outcome === 'withdrawn' || !s.last_day) {
			lines.push(`Ihre Bewerbung bei ${s.platform_name} wird zurückgezogen.`);
		} else {
			const fee = s.monthly_fee_cents != null ? ` Die Gebühr von ${formatCents(s.monthly_fee_cents)} im Monat zzgl. USt. wird bis dahin berechnet.` : '';
			lines.push(`Ihre Teilnahme an ${s.platform_name} läuft bis einschließlich ${formatDate(s.last_day)}.${fee}`);
		}
	}
	const card = plan.card_contract;
	if (card) {
		lines.push(
			`Ihr Kartenvertrag endet mit Ablauf des ${formatDate(card.last_day)}; bis dahin funktionieren Karten und Kassen, je Kassennutzer ${formatCents(card.fee_per_terminal_user_cents)} im Monat zzgl. USt.`
		);
	}
	const account = plan.customer_account;
	if (account) {
		const until = formatDate(account.last_day);
		const who = account.customers === 1 ? 'Ihr Kunde meldet' : `Ihre ${account.customers} Kunden melden`;
		lines.push(
			account.customers === 0
				? `Ihr digitales Kundenkonto wird gekündigt und läuft bis einschließlich ${until}; das bezahlte Jahr wird nicht erstattet.`
				: `Ihr digitales Kundenkonto wird gekündigt: ${who} sich bis einschließlich ${until} an; das bezahlte Jahr wird nicht erstattet.`
		);
	}
	for (const p of plan.placements) {
		lines.push(
			`Platzierung „${p.kind_name}“ im ${formatMonth(p.month)} (${formatCents(p.price_cents)} zzgl. USt.): ${p.shown ? 'bleibt gebucht, wird gezeigt und berechnet.' : 'liegt nach dem Ende Ihrer Teilnahme.'}`
		);
	}
	if (lines.length === 0) {
		lines.push('Es laufen keine Verträge: Nichts endet später als heute.');
	}
	return lines;
}

/** The file name of the data download, dated by the API's export time (Berlin). */
export function exportFileName(data: DataExport): string {
	return `partnernetz-daten-${berlinDay(new Date(data.exported_at))}.json`;
}
