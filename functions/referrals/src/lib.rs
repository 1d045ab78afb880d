//! The referrals function.
