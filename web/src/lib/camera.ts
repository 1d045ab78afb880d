// Card numbers read by the device's camera where the browser has the Shape Detection API's
// `BarcodeDetector` (Chrome on Android, ChromeOS and macOS; not desktop Linux or Firefox):
// the printed Code 128 holds the 16 digits. Elsewhere the till offers no camera button and
// the scanner or the keyboard does the job.

import { cardDigits, luhnValid } from '$lib/luhn';

interface DetectedBarcode {
	rawValue: string;
}

interface Detector {
	detect(source: HTMLVideoElement): Promise<DetectedBarcode[]>;
}

type DetectorClass = new (options?: { formats: string[] }) => Detector;

/** The formats a card's code can come in: the printed Code 128, or a QR code on a screen. */
const FORMATS = ['code_128', 'qr_code'];

/** How often a frame is looked at while the camera is open. */
const EVERY_MS = 150;

function detectorClass(): DetectorClass | undefined {
	if (typeof window === 'undefined') {
		return undefined;
	}
	const found = (window as unknown as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
	return found && typeof navigator.mediaDevices?.getUserMedia === 'function' ? found : undefined;
}

/** Whether this browser can read a card with the camera. */
export function cameraAvailable(): boolean {
	return detectorClass() !== undefined;
}

/** The card number in a scanned code's text: 16 digits with a valid check digit. */
export function cardInCode(text: string): string | undefined {
	const digits = cardDigits(text.trim());
	return digits && digits.length === 16 && luhnValid(digits) ? digits : undefined;
}

/** Why the camera could not be opened, in German. */
export function cameraProblem(error: unknown): string {
	const name = error instanceof DOMException ? error.name : '';
	if (name === 'NotAllowedError' || name === 'SecurityError') {
		return 'Die Kamera ist für diese Seite nicht freigegeben. Bitte erlauben Sie den Zugriff in den Einstellungen des Browsers oder geben Sie die Nummer ein.';
	}
	if (name === 'NotFoundError' || name === 'OverconstrainedError') {
		return 'Es wurde keine Kamera gefunden. Bitte geben Sie die Nummer ein oder nutzen Sie den Scanner.';
	}
	return 'Die Kamera konnte nicht geöffnet werden. Bitte geben Sie die Nummer ein oder nutzen Sie den Scanner.';
}

/**
 * Shows the back camera in `video` and reads frames until a card number is found (its 16
 * digits) or `signal` ends the scan (undefined). The camera is always released.
 */
export async function scanCard(
	video: HTMLVideoElement,
	signal: AbortSignal
): Promise<string | undefined> {
	const Found = detectorClass();
	if (!Found) {
		return undefined;
	}
	const detector = new Found({ formats: FORMATS });
	const stream = await navigator.mediaDevices.getUserMedia({
		video: { facingMode: 'environment' },
		audio: false
	});
	try {
		video.srcObject = stream;
		await video.play();
		while (!signal.aborted) {
			const codes = await detector.detect(video).catch(() => []);
			for (const code of codes) {
				const number = cardInCode(code.rawValue);
				if (number) {
					return number;
				}
			}
			await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
		}
		return undefined;
	} finally {
		stream.getTracks().forEach((track) => track.stop());
		video.srcObject = null;
	}
}
