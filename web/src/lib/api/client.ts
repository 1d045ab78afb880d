// The typed API client: paths and bodies come from the OpenAPI document the API serves
// (`schema.d.ts`, generated; `cargo xtask test` fails when it drifts from the document).
// Every call answers either the data or a problem in German, never a raw error.

import createClient from 'openapi-fetch';
import { config } from '$lib/config';
import { session } from '$lib/session.svelte';
import type { paths } from './schema';

export type Api = ReturnType<typeof createClient<paths>>;

let client: Promise<Api> | undefined;

export function api(): Promise<Api> {
	client ??= config().then((c) =>
		createClient<paths>({
			baseUrl: c.api_base_url,
			// The refresh cookie (Path=/auth) goes with the auth routes; it is HttpOnly.
			credentials: 'include',
			fetch: (request: Request) => {
				const token = session.token;
				if (token && !request.headers.has('authorization')) {
					request.headers.set('authorization', `Bearer ${token}`);
				}
				return globalThis.fetch(request);
			}
		})
	);
	return client;
}

let refreshing: Promise<boolean> | undefined;

/** A new access token from the refresh cookie; false when there is no session (any more).
 *  Parallel callers share one refresh: a refresh token is good for one use only. */
export function refresh(): Promise<boolean> {
	refreshing ??= (async () => {
		try {
			const { data, response } = await (await api()).POST('/auth/refresh');
			if (response.ok && data) {
				session.start(data as { access_token: string; expires_in: number; scope: string });
				return true;
			}
			session.end();
			return false;
		} catch {
			return false;
		} finally {
			refreshing = undefined;
		}
	})();
	return refreshing;
}

/** Ends the session here and at the API (the refresh cookie is removed). */
export async function logout(): Promise<void> {
	session.end();
	try {
		await (await api()).POST('/auth/logout');
	} catch {
		// Offline: the access token is gone from memory; the cookie ends with its lifetime.
	}
}

/** A page that needs a login: true when there is a session, after a silent refresh. */
export async function signedIn(): Promise<boolean> {
	return session.token !== undefined || (await refresh());
}

/** A problem+json answer as the page shows it: the detail, and messages per field. */
export interface Problem {
	status: number;
	detail: string;
	fields: Record<string, string>;
}

interface ProblemBody {
	detail?: string;
	title?: string;
	errors?: { field: string; message: string }[];
}

export const NETWORK_PROBLEM: Problem = {
	status: 0,
	detail:
		'Die Verbindung ist unterbrochen. Ihre Eingaben bleiben erhalten; bitte versuchen Sie es gleich noch einmal.',
	fields: {}
};

/** The problem of a failed answer (a 5xx never shows its own text). */
export function problemOf(status: number, body: unknown): Problem {
	if (status >= 500) {
		return {
			status,
			detail:
				'Beim Server ist ein Fehler aufgetreten. Ihre Eingaben bleiben erhalten; bitte versuchen Sie es später noch einmal.',
			fields: {}
		};
	}
	const problem = (body ?? {}) as ProblemBody;
	const fields: Record<string, string> = {};
	for (const error of problem.errors ?? []) {
		fields[error.field] = error.message;
	}
	return {
		status,
		detail: problem.detail ?? problem.title ?? 'Die Anfrage wurde abgelehnt.',
		fields
	};
}

export type Outcome<T> = { ok: true; data: T } | { ok: false; problem: Problem };

/** Runs one call of the client and turns what came back into an outcome. */
export async function attempt<T>(
	call: (api: Api) => Promise<{ data?: T; error?: unknown; response: Response }>
): Promise<Outcome<T>> {
	try {
		const hadToken = session.token !== undefined;
		let { data, error, response } = await call(await api());
		// The access token expired meanwhile: once more with a refreshed one.
		if (response.status === 401 && hadToken && (await refresh())) {
			({ data, error, response } = await call(await api()));
		}
		if (response.ok && data !== undefined) {
			return { ok: true, data };
		}
		return { ok: false, problem: problemOf(response.status, error) };
	} catch {
		return { ok: false, problem: NETWORK_PROBLEM };
	}
}

/** A consent box as the API takes it. The document accepts only `true`; an unchecked box
 *  still goes out, so that the API names the missing consent at its field in its own words,
 *  as it does for every other field. */
export function consent(checked: boolean): true {
	return checked as true;
}
