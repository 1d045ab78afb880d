// Card numbers as the till reads them: a scanner types the 16 digits and Enter, a cashier may
// type them in blocks of four. The last digit is the Luhn check digit (functions/cards), so a
// typo is caught here before any request.

/** The digits of what was scanned or typed (spaces and dashes between blocks dropped);
 *  undefined when anything else is in it. */
export function cardDigits(input: string): string | undefined {
	const digits = input.replace(/[\s-]/g, '');
	return /^\d+$/.test(digits) ? digits : undefined;
}

/** Whether the last digit of `digits` is the Luhn check digit of the others. */
export function luhnValid(digits: string): boolean {
	let sum = 0;
	for (let i = 0; i < digits.length; i++) {
		let d = Number(digits[digits.length - 1 - i]);
		if (i % 2 === 1) {
			d *= 2;
			if (d > 9) {
				d -= 9;
			}
		}
		sum += d;
	}
	return digits.length > 1 && sum % 10 === 0;
}

/** What is wrong with a card number before it is looked up, in German; undefined when it may
 *  be a card. */
export function cardNumberProblem(input: string): string | undefined {
	const digits = cardDigits(input);
	if (digits === undefined) {
		return 'Die Kartennummer besteht nur aus Ziffern.';
	}
	if (digits.length !== 16) {
		return `Die Kartennummer hat 16 Ziffern, eingegeben sind ${digits.length}.`;
	}
	if (!luhnValid(digits)) {
		return 'Die Prüfziffer stimmt nicht: Bitte prüfen Sie die Kartennummer auf einen Tippfehler.';
	}
	return undefined;
}

/** `9276001234567895` → `9276 0012 3456 7895`, as printed on the card. */
export function cardBlocks(digits: string): string {
	return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}
