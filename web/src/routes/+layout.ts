// A single-page app: nothing is rendered on a server or ahead of time.
export const ssr = false;
export const prerender = false;
