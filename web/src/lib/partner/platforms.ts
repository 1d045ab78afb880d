// The bank platforms as the partner meets them: each with its fee and the state of the own
// application, what can be done about it, and what a cancellation today means.

import type { components } from '../api/schema';
import { formatCents, formatDate, formatMonth } from '../format';

export type Application = components['schemas']['Application'];
export type PlatformView = components['schemas']['PlatformView'];

/** An approved subscription, or a cancelled one whose end has not passed (`today` as
 *  `2026-12-06`, Berlin). */
export function applicationRuns(a: Application, today: string): boolean {
	if (a.status === 'approved') return true;
	return a.status === 'cancelled' && a.ends_on != null && a.ends_on >= today;
}

/** What the partner can do about a platform. */
export type Action = 'apply' | 'withdraw' | 'cancel' | 'none';

export interface PlatformState {
	/** The state in words, with its date. */
	state: string;
	/** The manager's reason of a rejection. */
	reason?: string;
	action: Action;
}

/** A platform's line for the partner, from its own application (if any). */
export function platformState(a: Application | undefined, today: string): PlatformState {
	if (!a) {
		return { state: 'Noch nicht beworben.', action: 'apply' };
	}
	switch (a.status) {
		case 'pending':
			return {
				state: `Bewerbung vom ${formatDate(a.applied_at)}: wird geprüft.`,
				action: 'withdraw'
			};
		case 'approved':
			if (a.suspension) {
				return {
					state: `Gesperrt seit dem ${formatDate(a.suspension.suspended_at)}: Ihre Angebote sind dort nicht zu sehen.`,
					reason: a.suspension.reason,
					action: 'cancel'
				};
			}
			return {
				state: `Sie nehmen teil seit dem ${formatDate(a.approved_on ?? a.decided_at ?? a.applied_at)}.`,
				action: 'cancel'
			};
		case 'rejected':
			return {
				state: `Bewerbung abgelehnt am ${formatDate(a.decided_at ?? a.applied_at)}.`,
				reason: a.rejection_reason ?? undefined,
				action: 'apply'
			};
		case 'withdrawn':
			return { state: 'Bewerbung zurückgezogen.', action: 'apply' };
		case 'cancelled':
			return applicationRuns(a, today)
				? { state: `Gekündigt; Ihre Teilnahme endet am ${formatDate(a.ends_on ?? today)}.`, action: 'none' }
				: { state: `Teilnahme beendet am ${formatDate(a.ends_on ?? today)}.`, action: 'apply' };
	}
}

/** The fee as the list shows it (net, as billed). */
export function feeText(p: PlatformView): string {
	return `${formatCents(p.monthly_fee_cents)} im Monat zzgl. USt.`;
}

/** What cancelling today means, said before the partner confirms. */
export function cancellationText(p: PlatformView, endsOn: string): string {
	return (
		`Wenn Sie jetzt kündigen, endet Ihre Teilnahme an ${p.name} mit Ablauf des ${formatDate(endsOn)}. ` +
		`Die Gebühr von ${formatCents(p.monthly_fee_cents)} im Monat zzgl. USt. wird bis einschließlich ${formatMonth(endsOn.slice(0, 7))} berechnet.`
	);
}

/** The partner's application for each platform (the newest state). */
export function applicationFor(applications: Application[], platformId: string): Application | undefined {
	return applications.find((a) => a.platform_id === platformId);
}
