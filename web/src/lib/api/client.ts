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
			fetch: (request: Request) => {
				const token = session.token;
				if (token) {
					request.headers.set('authorization', `Bearer ${token}`);
				}
				return globalThis.fetch(request);
			}
		})
	);
	return client;
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
		const { data, error, response } = await call(await api());
		if (response.ok && data !== undefined) {
			return { ok: true, data };
		}
		return { ok: false, problem: problemOf(response.status, error) };
	} catch {
		return { ok: false, problem: NETWORK_PROBLEM };
	}
}
