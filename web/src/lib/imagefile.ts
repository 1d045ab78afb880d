// An image file chosen for upload, checked before anything is sent: its type (PNG, JPEG or
// WebP, what the API signs uploads for), its size (at most 5 MB) and whether its first
// bytes really are an image of that type. The logo and the offers' images use it.

const IMAGE_TYPES: Record<string, { name: string; magic: (b: Uint8Array) => boolean }> = {
	'image/png': {
		name: 'PNG',
		magic: (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x)
	},
	'image/jpeg': { name: 'JPEG', magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
	'image/webp': {
		name: 'WebP',
		magic: (b) =>
			String.fromCharCode(...b.slice(0, 4)) === 'RIFF' &&
			String.fromCharCode(...b.slice(8, 12)) === 'WEBP'
	}
};

/** The largest image the API takes: 5 MB. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** The accept list of a file field. */
export const IMAGE_ACCEPT = Object.keys(IMAGE_TYPES).join(',');

/** What is wrong with a chosen image, in German, or nothing. `what` names it in the size
 *  message: `ein Logo`, `ein Bild`. */
export function imageProblem(type: string, size: number, head: Uint8Array, what: string): string | undefined {
	const kind = IMAGE_TYPES[type];
	if (!kind) {
		return 'Bitte wählen Sie ein Bild im Format PNG, JPEG oder WebP.';
	}
	if (size === 0) {
		return 'Die Datei ist leer.';
	}
	if (size > MAX_IMAGE_BYTES) {
		const mb = (size / 1024 / 1024).toLocaleString('de-DE', { maximumFractionDigits: 1 });
		return `Die Datei ist ${mb} MB groß; ${what} darf höchstens 5 MB groß sein.`;
	}
	if (!kind.magic(head)) {
		return `Die Datei ist kein ${kind.name}-Bild. Bitte wählen Sie eine andere Datei.`;
	}
	return undefined;
}

/** The first bytes of a file, enough to tell its type. */
export async function headOf(file: Blob): Promise<Uint8Array> {
	return new Uint8Array(await file.slice(0, 16).arrayBuffer());
}
