// Calls of the manager's console that the API answers page by page: one application or
// one offer in review, looked up through the platform's lists.

import { attempt, type Outcome } from '$lib/api/client';
import type { components } from '$lib/api/schema';

type Application = components['schemas']['PlatformApplication'];
type Review = components['schemas']['QueueEntry'];

/** At most this many pages are read looking for one item. */
const MAX_PAGES = 20;

const notFound = (detail: string): Outcome<never> => ({
	ok: false,
	problem: { status: 404, detail, fields: {} }
});

/** A partner's application on the platform. */
export async function findApplication(
	platform: string,
	partner: string
): Promise<Outcome<Application>> {
	let cursor: string | undefined;
	for (let page = 0; page < MAX_PAGES; page += 1) {
		const after = cursor;
		const outcome = await attempt((api) =>
			api.GET('/platforms/{platform_id}/applications', {
				params: {
					path: { platform_id: platform },
					query: { limit: 100, ...(after ? { cursor: after } : {}) }
				}
			})
		);
		if (!outcome.ok) return outcome;
		const found = outcome.data.applications.find((a) => a.partner_id === partner);
		if (found) return { ok: true, data: found };
		cursor = outcome.data.next_cursor ?? undefined;
		if (!cursor) break;
	}
	return notFound('Diesen Antrag gibt es auf Ihrer Plattform nicht.');
}

/** An offer waiting in the platform's review queue. */
export async function findReview(platform: string, offer: string): Promise<Outcome<Review>> {
	let cursor: string | undefined;
	for (let page = 0; page < MAX_PAGES; page += 1) {
		const after = cursor;
		const outcome = await attempt((api) =>
			api.GET('/platforms/{platform_id}/reviews', {
				params: {
					path: { platform_id: platform },
					query: { limit: 50, ...(after ? { cursor: after } : {}) }
				}
			})
		);
		if (!outcome.ok) return outcome;
		const found = outcome.data.reviews.find((r) => r.offer_id === offer);
		if (found) return { ok: true, data: found };
		cursor = outcome.data.next_cursor ?? undefined;
		if (!cursor) break;
	}
	return notFound('Dieses Angebot wartet nicht (mehr) auf Ihre Prüfung.');
}
