// A file sent straight from the browser to S3 with a presigned PUT, its progress reported as
// it goes (fetch cannot report an upload's progress; XMLHttpRequest can). For the logo, and
// for offer images later.

/** A presigned upload as the API gives it. */
export interface PresignedUpload {
	method: string;
	url: string;
	headers: Record<string, string>;
}

/** Headers a page may not set: the browser sends the file's own length. */
const BROWSER_SET = new Set(['content-length', 'host']);

export type UploadOutcome = { ok: true } | { ok: false; message: string };

/** PUTs `file` as `upload` says, calling `progress` with 0–100 as the bytes leave. */
export function uploadFile(
	upload: PresignedUpload,
	file: Blob,
	progress: (percent: number) => void
): Promise<UploadOutcome> {
	return new Promise((resolve) => {
		const request = new XMLHttpRequest();
		request.open(upload.method, upload.url);
		for (const [name, value] of Object.entries(upload.headers)) {
			if (!BROWSER_SET.has(name.toLowerCase())) {
				request.setRequestHeader(name, value);
			}
		}
		request.upload.onprogress = (event) => {
			if (event.lengthComputable && event.total > 0) {
				progress(Math.round((event.loaded / event.total) * 100));
			}
		};
		request.onload = () => {
			if (request.status >= 200 && request.status < 300) {
				progress(100);
				resolve({ ok: true });
			} else {
				resolve({
					ok: false,
					message:
						request.status === 403
							? 'Der Speicher hat die Datei abgelehnt (der Link ist abgelaufen, oder die Datei hat sich geändert). Bitte versuchen Sie es noch einmal.'
							: 'Die Datei konnte nicht gespeichert werden. Bitte versuchen Sie es später noch einmal.'
				});
			}
		};
		request.onerror = () =>
			resolve({
				ok: false,
				message:
					'Die Verbindung ist unterbrochen. Bitte versuchen Sie es gleich noch einmal.'
			});
		request.send(file);
	});
}
