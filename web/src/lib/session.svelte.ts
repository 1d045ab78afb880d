// The signed-in user's access token: in memory only, never in localStorage, so a script
// injected into the page finds nothing stored and a closed tab forgets it.

/** The API's login scopes: `platform` for partners, managers and the operator. */
export type Scope = 'platform' | 'pos' | 'cardholder' | 'customer' | 'enduser';

interface Session {
	token: string;
	scope: Scope;
	expiresAt: number;
}

let current = $state<Session | undefined>(undefined);

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
	start(token: string, scope: Scope, expiresInSeconds: number): void {
		current = { token, scope, expiresAt: Date.now() + expiresInSeconds * 1000 };
	},
	end(): void {
		current = undefined;
	}
};
