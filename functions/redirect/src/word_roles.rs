//! What a word of the crawler filter's automaton stands for, packed into the automaton's value
//! for it. `build.rs` packs (a word can stand for several things: a crawler's name that is
//! also a gate's word), `bots.rs` unpacks; both include this file.
//!
//! Bits 0–2: the [`NEEDLES`] word it is, plus one (0: none); bit 3: a bot's word (found means
//! bot); bits 8–63: the gated patterns it opens.

/// The words of isbot's look-around patterns, which `bots.rs` checks by hand, in this order:
/// `(?:^|[^g])news(?!sapphire)`, `(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))`,
/// `(?<! cu)bots?(?:\b|_)`, `(?<!cam)scan` and `(?<!lib)http`.
pub const NEEDLES: [&str; 5] = ["news", "google", "bot", "scan", "http"];

/// Found means bot: a crawler's name, or a pattern that is only words.
pub const BOT: u64 = 1 << 3;
const NEEDLE_BITS: u64 = 0b111;
const GATE_SHIFT: usize = 8;
/// How many gated patterns the value has room for.
pub const MAX_GATES: usize = 64 - GATE_SHIFT;

/// The value of the `index`th look-around word (`index` < 7).
pub const fn needle(index: usize) -> u64 {
    (index as u64 + 1) & NEEDLE_BITS
}

/// The value of a word that opens the `index`th gated pattern (`index` < [`MAX_GATES`]).
pub const fn gate(index: usize) -> u64 {
    1 << (GATE_SHIFT + index)
}

/// The look-around word a value stands for, if any.
pub const fn needle_of(value: u64) -> Option<usize> {
    match value & NEEDLE_BITS {
        0 => None,
        n => Some(n as usize - 1),
    }
}

/// The gated patterns a value opens, as bits (bit `i`: the `i`th).
pub const fn gates_of(value: u64) -> u64 {
    value >> GATE_SHIFT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_can_be_a_look_around_word_and_open_gates_at_once() {
        let value = needle(4) | gate(0) | gate(MAX_GATES - 1);
        assert_eq!(needle_of(value), Some(4));
        assert_eq!(gates_of(value), 1 | 1 << (MAX_GATES - 1));
        assert_eq!(value & BOT, 0);
        assert_eq!(needle_of(gate(3) | BOT), None);
    }
}
