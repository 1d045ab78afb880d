// The portal's and the consoles' pages need a session of their role in the `platform` scope
// (partner, manager or operator): without one they go to that role's login with `?weiter=`
// and come back afterwards.

import { goto } from '$app/navigation';
import { signedIn, type Problem } from '$lib/api/client';
import { session } from '$lib/session.svelte';
import { loginPathOf } from './nav';

/** The roles that sign in with the `platform` scope. */
export type StaffRole = 'partner' | 'manager' | 'operator';

/** Someone of `role` is signed in in this tab (after a silent refresh, if need be). */
export async function signedInAs(role: StaffRole): Promise<boolean> {
	return (await signedIn()) && session.scope === 'platform' && session.role === role;
}

/** A page's guard: true when `role` is signed in; else on the way to `login`, back to `here`. */
export function guardFor(role: StaffRole, login: string): (here: string) => Promise<boolean> {
	return async (here) => {
		if (await signedInAs(role)) {
			return true;
		}
		await goto(loginPathOf(login, here), { replaceState: true });
		return false;
	};
}

/** A problem of a call that needs the session: an ended session goes to `login`. */
export async function endedFor(problem: Problem, login: string, here: string): Promise<boolean> {
	if (problem.status === 401) {
		session.end();
		await goto(loginPathOf(login, here));
		return true;
	}
	return false;
}
