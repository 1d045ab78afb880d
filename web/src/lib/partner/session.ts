// The portal's pages need a partner's session: without one (or with a manager's or the
// operator's) they go to the partner's login with `?weiter=` and come back afterwards.

import type { Problem } from '$lib/api/client';
import { endedFor, guardFor, signedInAs } from '$lib/console/session';

const LOGIN = '/partner/anmelden';

/** A partner is signed in in this tab (after a silent refresh, if need be). */
export function partnerSignedIn(): Promise<boolean> {
	return signedInAs('partner');
}

/** True when a partner is signed in; else on the way to the login, back to `here`. */
export const requirePartner = guardFor('partner', LOGIN);

/** A problem of a call that needs the session: an ended session goes to the login. */
export function ended(problem: Problem, here: string): Promise<boolean> {
	return endedFor(problem, LOGIN, here);
}
