// The portal's pages need a partner's session: without one (or with a manager's or the
// operator's) they go to the partner's login with `?weiter=` and come back afterwards.

import { goto } from '$app/navigation';
import { signedIn, type Problem } from '$lib/api/client';
import { session } from '$lib/session.svelte';
import { loginPath } from './sections';

/** A partner is signed in in this tab (after a silent refresh, if need be). */
export async function partnerSignedIn(): Promise<boolean> {
	return (await signedIn()) && session.scope === 'platform' && session.role === 'partner';
}

/** True when a partner is signed in; else on the way to the login, back to `here`. */
export async function requirePartner(here: string): Promise<boolean> {
	if (await partnerSignedIn()) {
		return true;
	}
	await goto(loginPath(here), { replaceState: true });
	return false;
}

/** A problem of a call that needs the session: an ended session goes to the login. */
export async function ended(problem: Problem, here: string): Promise<boolean> {
	if (problem.status === 401) {
		session.end();
		await goto(loginPath(here));
		return true;
	}
	return false;
}
