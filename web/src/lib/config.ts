// Where the API is: read once from `/config.json`, which the deployment (and local-api) writes
// beside the app, so one build runs against any API origin.

export interface AppConfig {
	api_base_url: string;
}

let loaded: Promise<AppConfig> | undefined;

export function config(): Promise<AppConfig> {
	loaded ??= fetch('/config.json', { cache: 'no-store' }).then(async (reply) => {
		if (!reply.ok) {
			throw new Error('config.json fehlt');
		}
		return (await reply.json()) as AppConfig;
	});
	return loaded;
}
