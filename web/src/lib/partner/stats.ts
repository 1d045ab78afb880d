// An offer's views and click-outs per day, from the API's aggregates: summed over the
// platforms (or one platform), the days without any counted as zero, and the scale of the
// chart drawn from them.

import type { components } from '../api/schema';
import { formatDate } from '../format';

export type OfferStats = components['schemas']['OfferStats'];
export type DayStats = components['schemas']['DayStats'];

export interface Day {
	/** `2026-12-06`. */
	day: string;
	views: number;
	clickOuts: number;
}

/** The civil day after `day` (`2026-12-31` → `2027-01-01`), by the calendar alone. */
export function nextDay(day: string): string {
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** The counted days of one platform (or all, summed), every day from the first counted to
 *  the last counted one, at most the last `span` of them. No clock: the range is the
 *  data's own. */
export function dailySeries(days: DayStats[], platform: string | undefined, span = 30): Day[] {
	const sums = new Map<string, Day>();
	for (const d of days) {
		if (platform && d.platform_id !== platform) continue;
		const entry = sums.get(d.day) ?? { day: d.day, views: 0, clickOuts: 0 };
		entry.views += d.views ?? 0;
		entry.clickOuts += d.click_outs ?? 0;
		sums.set(d.day, entry);
	}
	const counted = [...sums.keys()].sort();
	const first = counted[0];
	const last = counted[counted.length - 1];
	if (!first || !last) return [];
	const out: Day[] = [];
	for (let day = first; day <= last; day = nextDay(day)) {
		out.push(sums.get(day) ?? { day, views: 0, clickOuts: 0 });
	}
	return out.slice(-span);
}

/** The chart's scale: gridlines every 1, 2 or 5 × 10ⁿ (whole numbers), at most four steps,
 *  the top the first gridline at or above `max`. */
export function scale(max: number): { top: number; ticks: number[] } {
	let step = 1;
	for (let power = 1; step * 4 < max; power *= 10) {
		step = [1, 2, 5, 10].map((f) => f * power).find((s) => s * 4 >= max) ?? 10 * power;
	}
	const top = Math.max(step, Math.ceil(max / step) * step);
	const ticks: number[] = [];
	for (let t = 0; t <= top; t += step) ticks.push(t);
	return { top, ticks };
}

/** `1 Aufruf`, `2 Aufrufe`; `1 Klick`, `2 Klicks`. */
export function views(n: number): string {
	return n === 1 ? '1 Aufruf' : `${n.toLocaleString('de-DE')} Aufrufe`;
}
export function clicks(n: number): string {
	return n === 1 ? '1 Klick' : `${n.toLocaleString('de-DE')} Klicks`;
}

/** The chart in a sentence, for those who do not see it. */
export function summary(series: Day[]): string {
	const first = series[0];
	const last = series[series.length - 1];
	if (!first || !last) return 'Noch keine Aufrufe gezählt.';
	const v = series.reduce((a, d) => a + d.views, 0);
	const c = series.reduce((a, d) => a + d.clickOuts, 0);
	const range = first.day === last.day ? `am ${formatDate(first.day)}` : `vom ${formatDate(first.day)} bis ${formatDate(last.day)}`;
	return `${range}: ${views(v)} und ${clicks(c)} zum Shop.`;
}
