// The IBAN as it is typed: the country's length, the characters, and the ISO 7064 mod 97-10
// check digits, said in German at the field before anything is sent. Used by an end user's
// payout and a partner's SEPA mandate. Pure, without imports, so the journeys' unit checks
// load it as it is.

/** IBAN lengths of the SEPA countries most payouts go to; others: 15 to 34 characters. */
const IBAN_LENGTH: Record<string, number> = {
	DE: 22,
	AT: 20,
	CH: 21,
	LI: 21,
	LU: 20,
	NL: 18,
	BE: 16,
	FR: 27,
	IT: 27,
	ES: 24,
	PL: 28,
	DK: 18
};

/** The IBAN without spaces, in capitals. */
export function compactIban(raw: string): string {
	return raw.replace(/\s+/g, '').toUpperCase();
}

/** ISO 7064 mod 97-10 over the IBAN (its first four characters moved to the end). */
function mod97(iban: string): number {
	const moved = iban.slice(4) + iban.slice(0, 4);
	let rest = 0;
	for (const c of moved) {
		const n = c >= 'A' && c <= 'Z' ? String(c.charCodeAt(0) - 55) : c;
		for (const d of n) {
			rest = (rest * 10 + Number(d)) % 97;
		}
	}
	return rest;
}

/**
 * What is wrong with an IBAN typed so far, in German, or nothing. `complete` is false while
 * the user is still typing: a too-short IBAN is then no error yet.
 */
export function ibanProblem(raw: string, complete: boolean): string | undefined {
	const iban = compactIban(raw);
	if (iban === '') {
		return complete ? 'Bitte geben Sie Ihre IBAN ein.' : undefined;
	}
	const country = iban.slice(0, 2);
	if (!/^[A-Z]*$/.test(country)) {
		return 'Eine IBAN beginnt mit dem Ländercode, zum Beispiel DE.';
	}
	if (iban.length > 2 && !/^[0-9]+$/.test(iban.slice(2, 4))) {
		return 'Nach dem Ländercode folgen zwei Prüfziffern.';
	}
	if (!/^[A-Z0-9]*$/.test(iban)) {
		return 'Eine IBAN enthält nur Buchstaben und Ziffern.';
	}
	const expected = IBAN_LENGTH[country];
	if (expected !== undefined && iban.length > expected) {
		return `Eine IBAN aus ${country} hat ${expected} Zeichen; Sie haben ${iban.length} eingegeben.`;
	}
	if (iban.length > 34) {
		return 'Eine IBAN hat höchstens 34 Zeichen.';
	}
	const full = expected !== undefined ? iban.length === expected : iban.length >= 15;
	if (!full) {
		if (!complete) return undefined;
		return expected !== undefined
			? `Eine IBAN aus ${country} hat ${expected} Zeichen; es fehlen noch ${expected - iban.length}.`
			: 'Die IBAN ist zu kurz.';
	}
	if (expected === undefined && !complete) {
		return undefined;
	}
	if (mod97(iban) !== 1) {
		return 'Die Prüfziffern passen nicht zu dieser IBAN. Bitte vergleichen Sie sie mit Ihrem Kontoauszug.';
	}
	return undefined;
}

/** `DE89370400440532013000` → `DE89 3704 0044 0532 0130 00`. */
export function groupIban(raw: string): string {
	return compactIban(raw).replace(/(.{4})(?=.)/g, '$1 ');
}
