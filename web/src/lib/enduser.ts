// The end user's pages that need a login: the session must be an end user's of this
// platform; otherwise the platform's login, coming back here afterwards.

import { goto } from '$app/navigation';
import { signedIn, type Problem } from '$lib/api/client';
import { session } from '$lib/session.svelte';
import { loginPath } from '$lib/vorteile';

/** True when an end user of `platform` is signed in; else on the way to its login. */
export async function requireEndUser(platform: string, here: string): Promise<boolean> {
	if ((await signedIn()) && session.scope === 'enduser' && session.tenant === platform) {
		return true;
	}
	await goto(loginPath(platform, here), { replaceState: true });
	return false;
}

/** A problem of a call that needs the session: an ended one goes to the login. */
export async function ended(problem: Problem, platform: string, here: string): Promise<boolean> {
	if (problem.status === 401) {
		session.end();
		await goto(loginPath(platform, here));
		return true;
	}
	return false;
}
