// The signed-in user's access token: in memory only, never in the browser's web storage, so a script
// injected into the page finds nothing stored and a closed tab forgets it. The refresh
// token is the API's HttpOnly cookie on /auth: no script of the page can read it, and
// `refresh()` turns it into a new access token (after a reload, or when one expired).

/** The API's login scopes: `platform` for partners, managers and the operator. */
export type Scope = 'platform' | 'pos' | 'cardholder' | 'customer' | 'enduser';

interface Session {
	token: string;
	scope: Scope;
	/** The tenant of a tenant scope (`pos:<merchant>` → the merchant's id). */
	tenant: string | undefined;
	/** Who signed in within the scope: `partner`, `manager` and `operator` share `platform`. */
	role: string | undefined;
	/** The platforms a manager manages (the login's and every refresh's answer names them). */
	platforms: string[];
	expiresAt: number;
}

interface TokenReply {
	access_token: string;
	expires_in: number;
	scope: string;
	role?: string;
	platforms?: string[];
}

let current = $state<Session | undefined>(undefined);

function scopeOf(reply: TokenReply): Scope {
	const kind = reply.scope.split(':')[0] ?? 'platform';
	return kind as Scope;
}

export const session = {
	get token(): string | undefined {
		if (current && current.expiresAt > Date.now()) {
			return current.token;
		}
		return undefined;
	},
	get scope(): Scope | undefined {
		return current?.scope;
	},
	get tenant(): string | undefined {
		return current?.tenant;
	},
	get role(): string | undefined {
		return current?.role;
	},
	get platforms(): string[] {
		return current?.platforms ?? [];
	},
	/** Keeps the token of a login's or a refresh's answer. */
	start(reply: TokenReply): void {
		current = {
			token: reply.access_token,
			scope: scopeOf(reply),
			tenant: reply.scope.split(':')[1],
			role: reply.role,
			platforms: reply.platforms ?? [],
			// A little early, so a call never leaves with a token about to expire.
			expiresAt: Date.now() + (reply.expires_in - 30) * 1000
		};
	},
	end(): void {
		current = undefined;
	}
};
